package org.pgha.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a JUnit 5 test class its own {@link LocalCluster}, started before the first test and
 * killed, with its files, after the last, whether the tests pass or fail. Test and lifecycle
 * methods receive it as a parameter:
 *
 * <pre>{@code
 * @LocalClusterTest(standbys = 2)
 * class FailoverTest {
 *     @Test
 *     void survivesACrash(LocalCluster cluster) { ... }
 * }
 * }</pre>
 *
 * <p>Such classes carry the JUnit tag {@code cluster}, so a build can run them apart
 * ({@code -Dgroups=cluster}) or leave them out ({@code -DexcludedGroups=cluster}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Tag("cluster")
@ExtendWith(LocalClusterExtension.class)
public @interface LocalClusterTest {

    /** How many standbys. */
    int standbys() default 2;

    /** 1: the first standby is synchronous; 0: all are asynchronous. */
    int synchronousStandbys() default 1;

    /** Whether the nodes serve TLS only, as {@link LocalCluster.Builder#tls()} makes them (needs {@code openssl}). */
    boolean tls() default false;
}
