package org.pgha.codegen;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Generates the abstract superclass of the annotated class with one JavaBeans setter per
 * constant of {@link #properties()}, so that a property declared once in its enum is also a
 * bean property (Spring's {@code @ConfigurationProperties}, application servers' DataSource
 * configuration) without a line written for it.
 *
 * <p>Each constant must be declared as {@code NAME("propertyName", Rule.factory(...), default,
 * "description" ...)} in source: the setter is named after {@code propertyName}, typed after
 * the rule's factory ({@code bool}: boolean, {@code intAtLeast}: int, {@code longAtLeast}:
 * long, any other: String), documented with the description, and calls
 * {@code setter(propertyName, String.valueOf(value))}, which the generated class declares
 * abstract.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface PropertySetters {

    /** The enum whose constants are the properties. */
    Class<? extends Enum<?>> properties();

    /** The simple name of the generated class, in the annotated class's package. */
    String name();

    /** The method that takes a property's name and its value as text. */
    String setter() default "setProperty";
}
