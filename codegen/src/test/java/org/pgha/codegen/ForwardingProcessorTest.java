package org.pgha.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles small sources with the processor and runs what it generated. */
class ForwardingProcessorTest {

    @TempDir
    Path dir;

    private static final String GREETER = """
            package t;
            public interface Greeter extends AutoCloseable {
                String hello(String who) throws java.sql.SQLException;
                <T> T as(Class<T> type) throws java.sql.SQLException;
                void move(int rows) throws java.sql.SQLException;
                void close() throws java.sql.SQLException;
                default int answer() throws java.sql.SQLException { return 42; }
            }
            """;

    /** A Greeter that logs every call, to see where the generated code goes. */
    private static final String TARGET = """
            package t;
            public final class Target implements Greeter {
                public static final java.util.List<String> LOG = new java.util.ArrayList<>();
                public String hello(String who) { LOG.add("hello " + who); return "hi " + who; }
                public <T> T as(Class<T> type) { LOG.add("as"); return type.cast("x"); }
                public void move(int rows) { LOG.add("move " + rows); }
                public void close() { LOG.add("close"); }
                public int answer() { LOG.add("answer"); return 7; }
            }
            """;

    @Test
    void forwardsEveryMethodTheClassDoesNotDeclareAndGuardsTheNamedOnes() throws Exception {
        Compiled out = compile(Map.of(
                "t/Greeter.java", GREETER,
                "t/Target.java", TARGET,
                "t/Wrapper.java", """
                        package t;
                        @org.pgha.codegen.Forward(type = Greeter.class, name = "ForwardingGreeter", to = "target",
                                guard = "guard", guarded = {"mo*"})
                        public final class Wrapper extends ForwardingGreeter {
                            public final Target target = new Target();
                            Greeter target() { return target; }
                            void guard(String method) { Target.LOG.add("guard " + method); }
                            @Override public void close() { Target.LOG.add("own close"); }
                        }
                        """));
        assertThat(out.errors()).isEmpty();
        String generated = out.source("t/ForwardingGreeter.java");
        assertThat(generated).doesNotContain("close(").contains("answer(");

        Object wrapper = out.load("t.Wrapper").getConstructor().newInstance();
        Class<?> greeter = out.load("t.Greeter");
        assertThat(greeter.getMethod("hello", String.class).invoke(wrapper, "ann")).isEqualTo("hi ann");
        assertThat(greeter.getMethod("as", Class.class).invoke(wrapper, String.class)).isEqualTo("x");
        greeter.getMethod("move", int.class).invoke(wrapper, 3);
        assertThat(greeter.getMethod("answer").invoke(wrapper)).isEqualTo(7); // forwarded, not the default
        greeter.getMethod("close").invoke(wrapper);
        assertThat(log(out)).containsExactly("hello ann", "as", "guard move", "move 3", "answer", "own close");
    }

    @Test
    void recordsSettersWithTheirOneShotFlagAndSize() throws Exception {
        Compiled out = compile(Map.of(
                "t/Params.java", """
                        package t;
                        public interface Params {
                            void setInt(int index, int x) throws java.sql.SQLException;
                            void setText(int index, String x) throws java.sql.SQLException;
                            void setStream(int index, java.io.InputStream x, long length) throws java.sql.SQLException;
                            int count() throws java.sql.SQLException;
                        }
                        """,
                "t/Base.java", """
                        package t;
                        public class Base {
                            protected final String label;
                            Base(String label) { this.label = label; }
                        }
                        """,
                "t/Recording.java", """
                        package t;
                        import java.util.*;
                        @org.pgha.codegen.Forward(type = Params.class, name = "RecordingParams", to = "params",
                                base = Base.class, recorded = "set*", oneShot = "java.io.InputStream", sized = "setText")
                        public final class Recording extends RecordingParams {
                            public final List<String> log = new ArrayList<>();
                            public final Map<Integer, Param> values = new HashMap<>();
                            public Recording() { super("r"); }
                            Params params() {
                                return new Params() {
                                    public void setInt(int i, int x) { log.add(label + " setInt " + i + "=" + x); }
                                    public void setText(int i, String x) { log.add(label + " setText " + i + "=" + x); }
                                    public void setStream(int i, java.io.InputStream x, long n) { log.add("setStream " + i); }
                                    public int count() { return values.size(); }
                                };
                            }
                            void record(int index, Param value, boolean oneShot) {
                                log.add("record " + index + (oneShot ? " once" : ""));
                                values.put(index, value);
                            }
                            Param sized(Param value, Object x) { log.add("sized " + x); return value; }
                        }
                        """));
        assertThat(out.errors()).isEmpty();
        Object recording = out.load("t.Recording").getConstructor().newInstance();
        Class<?> params = out.load("t.Params");
        params.getMethod("setInt", int.class, int.class).invoke(recording, 1, 5);
        params.getMethod("setText", int.class, String.class).invoke(recording, 2, "abc");
        params.getMethod("setStream", int.class, java.io.InputStream.class, long.class)
                .invoke(recording, 3, java.io.InputStream.nullInputStream(), 0L);
        assertThat(params.getMethod("count").invoke(recording)).isEqualTo(3);

        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) recording.getClass().getField("log").get(recording);
        assertThat(log).containsExactly("r setInt 1=5", "record 1", "r setText 2=abc", "sized abc", "record 2",
                "setStream 3", "record 3 once");

        // A recorded value sets the same value again on another target.
        Map<?, ?> values = (Map<?, ?>) recording.getClass().getField("values").get(recording);
        Object param = values.get(2);
        Method apply = param.getClass().getInterfaces()[0].getMethod("apply", params, int.class);
        apply.setAccessible(true);
        log.clear();
        Method target = recording.getClass().getDeclaredMethod("params");
        target.setAccessible(true);
        apply.invoke(param, target.invoke(recording), 9);
        assertThat(log).containsExactly("r setText 9=abc");
    }

    @Test
    void writesOneTypedSetterPerPropertyConstant() throws Exception {
        Compiled out = compile(Map.of(
                "t/Prop.java", """
                        package t;
                        public enum Prop {
                            LAG("maxLag", Rule.duration(), "2s", "How stale a read may be" + " <at most>."),
                            ON("enabled", Rule.bool(), "true", "Whether it is on."),
                            TIMES("times", Rule.intAtLeast(1), "2", "How many times."),
                            BYTES("maxBytes", Rule.longAtLeast(0), null, "How many bytes.");
                            Prop(String name, Rule rule, String def, String description) { }
                            static final class Rule {
                                static Rule duration() { return new Rule(); }
                                static Rule bool() { return new Rule(); }
                                static Rule intAtLeast(int min) { return new Rule(); }
                                static Rule longAtLeast(long min) { return new Rule(); }
                            }
                        }
                        """,
                "t/Source.java", """
                        package t;
                        @org.pgha.codegen.PropertySetters(properties = Prop.class, name = "SourceProperties")
                        public final class Source extends SourceProperties {
                            public final java.util.Map<String, String> set = new java.util.TreeMap<>();
                            @Override public void setProperty(String name, String value) { set.put(name, value); }
                        }
                        """));
        assertThat(out.errors()).isEmpty();
        Class<?> source = out.load("t.Source");
        Object s = source.getConstructor().newInstance();
        source.getMethod("setMaxLag", String.class).invoke(s, "1s");
        source.getMethod("setEnabled", boolean.class).invoke(s, false);
        source.getMethod("setTimes", int.class).invoke(s, 3);
        source.getMethod("setMaxBytes", long.class).invoke(s, 10L);
        assertThat(source.getField("set").get(s)).hasToString("{enabled=false, maxBytes=10, maxLag=1s, times=3}");
        assertThat(out.source("t/SourceProperties.java")).contains("How stale a read may be &lt;at most&gt;.")
                .contains("@see t.Prop#LAG");
    }

    @Test
    void aTypeThatIsNotAnInterfaceIsAnError() throws Exception {
        Compiled out = compile(Map.of("t/Bad.java", """
                package t;
                @org.pgha.codegen.Forward(type = String.class, name = "ForwardingString", to = "s")
                public final class Bad { }
                """));
        assertThat(out.errors()).contains("@Forward type must be an interface: java.lang.String");
    }

    @Test
    void aPropertyNotDeclaredAsExpectedIsAnError() throws Exception {
        Compiled out = compile(Map.of(
                "t/Prop.java", """
                        package t;
                        public enum Prop { A; }
                        """,
                "t/Source.java", """
                        package t;
                        @org.pgha.codegen.PropertySetters(properties = Prop.class, name = "SourceProperties")
                        public final class Source { }
                        """));
        assertThat(out.errors()).contains("A must be declared in source");
    }

    // ------------------------------------------------------------------

    private record Compiled(Path dir, String errors, ClassLoader loader) {
        String source(String path) throws IOException {
            return Files.readString(dir.resolve("gen").resolve(path));
        }

        Class<?> load(String name) throws Exception {
            return Class.forName(name, true, loader);
        }
    }

    private Compiled compile(Map<String, String> sources) throws IOException {
        Path src = dir.resolve("src");
        List<String> files = new ArrayList<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            files.add(file.toString());
        }
        Files.createDirectories(dir.resolve("classes"));
        Files.createDirectories(dir.resolve("gen"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        List<String> options = new ArrayList<>(List.of("-d", dir.resolve("classes").toString(),
                "-s", dir.resolve("gen").toString(), "-classpath", System.getProperty("java.class.path"),
                "-processor", ForwardingProcessor.class.getName(), "-Xlint:-processing"));
        var task = javac.getTask(errors, null, null, options, null,
                javac.getStandardFileManager(null, null, null).getJavaFileObjectsFromStrings(files));
        task.call();
        URLClassLoader loader = new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()},
                ForwardingProcessorTest.class.getClassLoader());
        return new Compiled(dir, errors.toString(), loader);
    }

    private static List<String> log(Compiled out) throws Exception {
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) out.load("t.Target").getField("LOG").get(null);
        return log;
    }
}
