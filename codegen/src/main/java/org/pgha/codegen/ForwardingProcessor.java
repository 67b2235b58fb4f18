package org.pgha.codegen;

import com.sun.source.tree.BinaryTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.NewClassTree;
import com.sun.source.tree.ParenthesizedTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.Trees;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.TypeParameterElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;
import javax.tools.Diagnostic;

/**
 * Writes the classes {@link Forward} and {@link PropertySetters} ask for. The output is plain
 * Java, in {@code target/generated-sources/annotations}, compiled with the rest: no
 * reflection and no proxy at run time.
 */
@SupportedAnnotationTypes({"org.pgha.codegen.Forward", "org.pgha.codegen.PropertySetters"})
public final class ForwardingProcessor extends AbstractProcessor {

    private static final String SQL_EXCEPTION = "java.sql.SQLException";

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        for (TypeElement annotation : annotations) {
            for (Element element : round.getElementsAnnotatedWith(annotation)) {
                TypeElement owner = (TypeElement) element;
                AnnotationMirror mirror = mirror(owner, annotation);
                try {
                    if (annotation.getSimpleName().contentEquals("Forward")) {
                        forward(owner, values(mirror));
                    } else {
                        propertySetters(owner, values(mirror));
                    }
                } catch (IllegalStateException | IOException e) {
                    processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, e.getMessage(), owner, mirror);
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ @Forward

    private void forward(TypeElement owner, Map<String, Object> spec) throws IOException {
        TypeElement type = typeElement((TypeMirror) spec.get("type"));
        TypeElement base = typeElement((TypeMirror) spec.getOrDefault("base", null));
        String name = (String) spec.get("name");
        String to = (String) spec.get("to");
        String guard = (String) spec.getOrDefault("guard", "");
        List<String> guarded = strings(spec, "guarded");
        List<String> recorded = strings(spec, "recorded");
        List<String> oneShot = strings(spec, "oneShot");
        List<String> sized = strings(spec, "sized");
        if (!type.getKind().isInterface()) {
            throw new IllegalStateException("@Forward type must be an interface: " + type);
        }
        if (!guarded.isEmpty() && guard.isEmpty()) {
            throw new IllegalStateException("@Forward names guarded methods but no guard");
        }

        List<String> taken = new ArrayList<>();
        for (ExecutableElement m : ElementFilter.methodsIn(owner.getEnclosedElements())) {
            taken.add(signature(m));
        }
        if (base != null) {
            for (ExecutableElement m : ElementFilter.methodsIn(elements().getAllMembers(base))) {
                if (!m.getModifiers().contains(Modifier.ABSTRACT)) {
                    taken.add(signature(m));
                }
            }
        }
        Map<String, ExecutableElement> methods = new LinkedHashMap<>();
        for (ExecutableElement m : ElementFilter.methodsIn(elements().getAllMembers(type))) {
            Element from = m.getEnclosingElement();
            if (m.getModifiers().contains(Modifier.STATIC) || m.getModifiers().contains(Modifier.PRIVATE)
                    || ((TypeElement) from).getQualifiedName().contentEquals("java.lang.Object")) {
                continue;
            }
            if (base != null && types().isSubtype(types().erasure(base.asType()), types().erasure(from.asType()))) {
                continue; // the base implements that interface: its methods are the base's business
            }
            String signature = signature(m);
            if (!taken.contains(signature)) {
                methods.putIfAbsent(signature, m);
            }
        }

        String pkg = packageOf(owner);
        String typeName = type.getQualifiedName().toString();
        boolean sqlEverywhere = methods.values().stream().allMatch(this::throwsSql);
        String hookThrows = sqlEverywhere ? " throws " + SQL_EXCEPTION : "";
        StringBuilder out = new StringBuilder();
        header(out, pkg, owner, "Forward");
        out.append("abstract class ").append(name);
        if (base != null) {
            out.append(" extends ").append(base.getQualifiedName());
        }
        out.append(" implements ").append(typeName).append(" {\n\n");
        if (base != null) {
            for (ExecutableElement c : ElementFilter.constructorsIn(base.getEnclosedElements())) {
                if (c.getModifiers().contains(Modifier.PRIVATE)) {
                    continue;
                }
                out.append("    ").append(name).append('(').append(parameters(c)).append(')').append(throwsClause(c))
                        .append(" {\n        super(").append(arguments(c, 0)).append(");\n    }\n\n");
            }
        }
        out.append("    /** Where calls go. */\n    abstract ").append(typeName).append(' ').append(to).append("()")
                .append(hookThrows).append(";\n\n");
        if (!guard.isEmpty()) {
            out.append("    /** Called with the method's name before a guarded method forwards. */\n    abstract void ")
                    .append(guard).append("(String method)").append(hookThrows).append(";\n\n");
        }
        boolean anyRecorded = methods.values().stream().anyMatch(m -> matches(recorded, m));
        if (anyRecorded) {
            out.append("    /** Sets one recorded value again, on another statement. */\n")
                    .append("    @FunctionalInterface\n    interface Param {\n        void apply(").append(typeName)
                    .append(" target, int index) throws ").append(SQL_EXCEPTION).append(";\n    }\n\n")
                    .append("    /** Keeps a value set at an index; a one-shot value cannot be set again. */\n")
                    .append("    abstract void record(int index, Param value, boolean oneShot);\n\n");
            if (!sized.isEmpty()) {
                out.append("    /** A recorded value that knows the size of what it holds. */\n")
                        .append("    abstract Param sized(Param value, Object x);\n\n");
            }
        }
        for (ExecutableElement m : methods.values()) {
            String call = m.getSimpleName() + "(" + arguments(m, 0) + ")";
            out.append("    @Override\n");
            if (elements().isDeprecated(m)) {
                out.append("    @SuppressWarnings(\"deprecation\")\n");
            }
            out.append("    public ").append(typeParameters(m)).append(m.getReturnType()).append(' ')
                    .append(m.getSimpleName()).append('(').append(parameters(m)).append(')').append(throwsClause(m))
                    .append(" {\n");
            if (matches(guarded, m)) {
                out.append("        ").append(guard).append("(\"").append(m.getSimpleName()).append("\");\n");
            }
            boolean returns = m.getReturnType().getKind() != TypeKind.VOID;
            out.append("        ").append(returns ? "return " : "").append(to).append("().").append(call).append(";\n");
            if (matches(recorded, m)) {
                recordCall(out, m, oneShot, matches(sized, m));
            }
            out.append("    }\n\n");
        }
        trimEnd(out);
        out.append("}\n");
        write(owner, pkg, name, out);
    }

    private void recordCall(StringBuilder out, ExecutableElement m, List<String> oneShot, boolean sized) {
        List<? extends VariableElement> params = m.getParameters();
        if (params.size() < 2 || params.get(0).asType().getKind() != TypeKind.INT
                || m.getReturnType().getKind() != TypeKind.VOID) {
            throw new IllegalStateException("a recorded setter takes an int index and a value and returns nothing: " + m);
        }
        String lambda = "(target, index) -> target." + m.getSimpleName() + "(index"
                + (params.size() > 1 ? ", " + arguments(m, 1) : "") + ")";
        String value = sized ? "sized(" + lambda + ", a1)" : lambda;
        String valueType = types().erasure(params.get(1).asType()).toString();
        out.append("        record(a0, ").append(value).append(", ").append(oneShot.contains(valueType)).append(");\n");
    }

    // ------------------------------------------------------------------ @PropertySetters

    private void propertySetters(TypeElement owner, Map<String, Object> spec) throws IOException {
        TypeElement properties = typeElement((TypeMirror) spec.get("properties"));
        String name = (String) spec.get("name");
        String setter = (String) spec.getOrDefault("setter", "setProperty");
        Trees trees = Trees.instance(processingEnv);
        String pkg = packageOf(owner);
        StringBuilder out = new StringBuilder();
        header(out, pkg, owner, "PropertySetters");
        out.append("public abstract class ").append(name).append(" {\n\n");
        out.append("    /** Sets a property by its name; see {@link ").append(properties.getQualifiedName())
                .append("}. */\n    public abstract void ").append(setter).append("(String name, String value);\n\n");
        for (VariableElement constant : ElementFilter.fieldsIn(properties.getEnclosedElements())) {
            if (constant.getKind() != ElementKind.ENUM_CONSTANT) {
                continue;
            }
            Tree tree = trees.getTree(constant);
            if (!(tree instanceof VariableTree variable) || !(variable.getInitializer() instanceof NewClassTree init)
                    || init.getArguments().size() < 4) {
                throw new IllegalStateException(constant + " must be declared in source as NAME(\"name\", Rule.x(...),"
                        + " default, \"description\"...)");
            }
            List<? extends ExpressionTree> args = init.getArguments();
            String property = text(args.get(0), constant);
            String rule = factory(args.get(1), constant);
            String description = text(args.get(3), constant);
            String javaType = switch (rule) {
                case "bool" -> "boolean";
                case "intAtLeast" -> "int";
                case "longAtLeast" -> "long";
                default -> "String";
            };
            String asText = switch (javaType) {
                case "boolean" -> "Boolean.toString(value)";
                case "int" -> "Integer.toString(value)";
                case "long" -> "Long.toString(value)";
                default -> "value";
            };
            out.append("    /**\n");
            for (String line : wrap(javadoc(description), 92)) {
                out.append("     * ").append(line).append('\n');
            }
            out.append("     *\n     * @see ").append(properties.getQualifiedName()).append('#')
                    .append(constant.getSimpleName()).append("\n     */\n");
            out.append("    public void set").append(Character.toUpperCase(property.charAt(0))).append(property.substring(1))
                    .append('(').append(javaType).append(" value) {\n        ").append(setter).append("(\"")
                    .append(property).append("\", ").append(asText).append(");\n    }\n\n");
        }
        trimEnd(out);
        out.append("}\n");
        write(owner, pkg, name, out);
    }

    /** The value of a string literal or a concatenation of string literals. */
    private static String text(ExpressionTree tree, Element where) {
        if (tree instanceof LiteralTree literal && literal.getValue() instanceof String s) {
            return s;
        }
        if (tree instanceof ParenthesizedTree p) {
            return text(p.getExpression(), where);
        }
        if (tree instanceof BinaryTree binary && binary.getKind() == Tree.Kind.PLUS) {
            return text(binary.getLeftOperand(), where) + text(binary.getRightOperand(), where);
        }
        throw new IllegalStateException(where + ": expected a string literal, found " + tree);
    }

    /** The name of the factory method a rule is made by: {@code Rule.bool()} gives {@code bool}. */
    private static String factory(ExpressionTree tree, Element where) {
        if (tree instanceof MethodInvocationTree call) {
            ExpressionTree select = call.getMethodSelect();
            if (select instanceof MemberSelectTree member) {
                return member.getIdentifier().toString();
            }
            if (select instanceof IdentifierTree id) {
                return id.getName().toString();
            }
        }
        throw new IllegalStateException(where + ": expected a rule made by a factory method, found " + tree);
    }

    private static String javadoc(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*/", "*&#47;")
                .replace("@", "&#64;");
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    // ------------------------------------------------------------------ shared

    private void header(StringBuilder out, String pkg, TypeElement owner, String annotation) {
        if (!pkg.isEmpty()) {
            out.append("package ").append(pkg).append(";\n\n");
        }
        out.append("/**\n * Generated at build time from the {@code @").append(annotation).append("} on {@link ")
                .append(owner.getSimpleName()).append("}: do not edit.\n */\n")
                .append("@javax.annotation.processing.Generated(\"").append(getClass().getName()).append("\")\n");
    }

    private void write(TypeElement owner, String pkg, String name, StringBuilder source) throws IOException {
        String qualified = pkg.isEmpty() ? name : pkg + "." + name;
        try (Writer w = processingEnv.getFiler().createSourceFile(qualified, owner).openWriter()) {
            w.write(source.toString());
        }
    }

    private static void trimEnd(StringBuilder out) {
        while (out.length() > 1 && out.charAt(out.length() - 1) == '\n' && out.charAt(out.length() - 2) == '\n') {
            out.setLength(out.length() - 1);
        }
    }

    private String signature(ExecutableElement m) {
        return m.getSimpleName() + m.getParameters().stream()
                .map(p -> types().erasure(p.asType()).toString())
                .collect(Collectors.joining(",", "(", ")"));
    }

    private static boolean matches(List<String> patterns, ExecutableElement m) {
        String name = m.getSimpleName().toString();
        for (String p : patterns) {
            if (p.endsWith("*") ? name.startsWith(p.substring(0, p.length() - 1)) : name.equals(p)) {
                return true;
            }
        }
        return false;
    }

    private boolean throwsSql(ExecutableElement m) {
        return m.getThrownTypes().stream().anyMatch(t -> t.toString().equals(SQL_EXCEPTION));
    }

    private static String typeParameters(ExecutableElement m) {
        if (m.getTypeParameters().isEmpty()) {
            return "";
        }
        List<String> out = new ArrayList<>();
        for (TypeParameterElement p : m.getTypeParameters()) {
            List<String> bounds = p.getBounds().stream().map(TypeMirror::toString)
                    .filter(b -> !b.equals("java.lang.Object")).toList();
            out.add(p.getSimpleName() + (bounds.isEmpty() ? "" : " extends " + String.join(" & ", bounds)));
        }
        return "<" + String.join(", ", out) + "> ";
    }

    private static String parameters(ExecutableElement m) {
        List<String> out = new ArrayList<>();
        List<? extends VariableElement> params = m.getParameters();
        for (int i = 0; i < params.size(); i++) {
            String type = params.get(i).asType().toString();
            if (m.isVarArgs() && i == params.size() - 1) {
                type = type.substring(0, type.length() - 2) + "...";
            }
            out.add(type + " a" + i);
        }
        return String.join(", ", out);
    }

    private static String arguments(ExecutableElement m, int from) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < m.getParameters().size(); i++) {
            out.add("a" + i);
        }
        return String.join(", ", out);
    }

    private static String throwsClause(ExecutableElement m) {
        if (m.getThrownTypes().isEmpty()) {
            return "";
        }
        return " throws " + m.getThrownTypes().stream().map(TypeMirror::toString).collect(Collectors.joining(", "));
    }

    private String packageOf(TypeElement owner) {
        PackageElement pkg = elements().getPackageOf(owner);
        return pkg.isUnnamed() ? "" : pkg.getQualifiedName().toString();
    }

    private TypeElement typeElement(TypeMirror mirror) {
        if (mirror == null || mirror.toString().equals("java.lang.Object")) {
            return null;
        }
        return (TypeElement) types().asElement(mirror);
    }

    private static AnnotationMirror mirror(Element element, TypeElement annotation) {
        for (AnnotationMirror m : element.getAnnotationMirrors()) {
            if (m.getAnnotationType().asElement().equals(annotation)) {
                return m;
            }
        }
        throw new IllegalStateException("no @" + annotation.getSimpleName() + " on " + element);
    }

    /** The annotation's explicit values: strings, types, or lists of them. */
    private static Map<String, Object> values(AnnotationMirror mirror) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> e : mirror.getElementValues().entrySet()) {
            Object value = e.getValue().getValue();
            if (value instanceof List<?> list) {
                value = list.stream().map(v -> ((AnnotationValue) v).getValue()).toList();
            }
            out.put(e.getKey().getSimpleName().toString(), value);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Map<String, Object> spec, String key) {
        return (List<String>) spec.getOrDefault(key, List.of());
    }

    private javax.lang.model.util.Elements elements() {
        return processingEnv.getElementUtils();
    }

    private javax.lang.model.util.Types types() {
        return processingEnv.getTypeUtils();
    }
}
