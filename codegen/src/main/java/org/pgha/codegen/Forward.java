package org.pgha.codegen;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Generates the abstract superclass of the annotated class: every method of {@link #type()}
 * that the annotated class does not declare itself forwards to {@link #to()}. The annotated
 * class extends the generated one and keeps only the methods that do more than forward.
 *
 * <pre>{@code
 * @Forward(type = ResultSet.class, name = "ForwardingResultSet", to = "delegate",
 *          guard = "unverifiable", guarded = {"update*", "absolute"})
 * final class LogicalResultSet extends ForwardingResultSet { ... }
 * }</pre>
 *
 * <p>The generated class declares the hooks it calls as abstract methods: {@code to()}
 * returning {@link #type()}, and {@code guard(String method)} when {@link #guard()} is set.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface Forward {

    /** The interface whose methods are forwarded. */
    Class<?> type();

    /** The simple name of the generated class, in the annotated class's package. */
    String name();

    /** The name of the method that returns the object calls go to. */
    String to();

    /** The superclass of the generated class; its constructors are repeated. */
    Class<?> base() default Object.class;

    /** The method called with the method's name before a guarded method forwards; or empty. */
    String guard() default "";

    /** Methods that call {@link #guard()} first: names, or prefixes ending in {@code *}. */
    String[] guarded() default {};

    /**
     * Setters whose value is recorded, for the parameters of a PreparedStatement: names or
     * prefixes ending in {@code *}. Such a method, {@code setX(int index, ...)}, forwards and
     * then calls {@code record(index, (ps, i) -> ps.setX(i, ...), oneShot)}, where
     * {@code oneShot} is true when its value is one of {@link #oneShot()}, and the recorded
     * value is wrapped in {@code sized(value, x)} when the method is one of {@link #sized()}.
     */
    String[] recorded() default {};

    /** Qualified names of value types that can be set only once (streams, connection-bound objects). */
    String[] oneShot() default {};

    /** Recorded setters whose value's size counts (text, objects). */
    String[] sized() default {};
}
