package org.pgha.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The DataSource's setters are generated from {@link PghaProperty}: one per property, typed after it. */
class PghaDataSourceSettersTest {

    @ParameterizedTest
    @EnumSource(PghaProperty.class)
    void everyPropertyHasATypedSetterThatSetsIt(PghaProperty property) throws Exception {
        String name = property.propertyName();
        String setter = "set" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
        Class<?> type = switch (property.type()) {
            case BOOLEAN -> boolean.class;
            case INTEGER -> int.class;
            case LONG -> long.class;
            default -> String.class;
        };
        Object value = switch (property.type()) {
            case BOOLEAN -> true;
            case INTEGER -> 7;
            case LONG -> 8L;
            default -> "text";
        };
        Method method = PghaDataSource.class.getMethod(setter, type);
        try (PghaDataSource ds = new PghaDataSource()) {
            method.invoke(ds, value);
            assertThat(ds.getProperty(name)).isEqualTo(value.toString());
        }
    }
}
