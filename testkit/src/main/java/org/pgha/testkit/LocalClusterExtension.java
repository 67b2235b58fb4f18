package org.pgha.testkit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link LocalClusterTest}: one cluster per test class, kept in
 * the class's extension store, which closes it when the class is done (JUnit closes
 * {@link AutoCloseable} values of its stores), and resolved for parameters of type
 * {@link LocalCluster}. A JVM that is interrupted still kills the servers through the
 * cluster's shutdown hook.
 */
public final class LocalClusterExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LocalClusterExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        cluster(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == LocalCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return cluster(extensionContext);
    }

    private static LocalCluster cluster(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        LocalClusterTest settings = AnnotationSupport.findAnnotation(testClass, LocalClusterTest.class)
                .orElseThrow(() -> new IllegalStateException(testClass.getName() + " is not annotated with @LocalClusterTest"));
        ExtensionContext classContext = classContext(context);
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(testClass,
                k -> {
                    LocalCluster.Builder builder = LocalCluster.builder().standbys(settings.standbys())
                            .synchronousStandbys(settings.synchronousStandbys());
                    return (settings.tls() ? builder.tls() : builder).start();
                },
                LocalCluster.class);
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }
}
