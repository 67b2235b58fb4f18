package org.pgha.testkit.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Operating-system chores of the testkit: running commands, sending signals, walking a
 * process tree, and running the servers as an unprivileged user when the JVM is root
 * (PostgreSQL refuses to run as root, and CI runs as root).
 */
public final class OsProcesses {

    private OsProcesses() {
    }

    /** The standard output of a command that succeeds, or empty if it fails or does not exist. */
    public static Optional<String> outputOf(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = readAll(p.getInputStream());
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Optional.of(out);
            }
            p.destroyForcibly();
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Runs a command to its end; fails with its output if it exits non-zero or overruns. */
    public static String run(List<String> command, Duration timeout) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            // Drain output on another thread so a chatty command cannot block on a full pipe.
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> out.append(readAllQuietly(p.getInputStream())), "pgha-testkit-cmd-output");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException("command timed out after " + timeout + ": " + String.join(" ", command));
            }
            reader.join(TimeUnit.SECONDS.toMillis(10));
            if (p.exitValue() != 0) {
                throw new IllegalStateException("command failed with exit code " + p.exitValue() + ": "
                        + String.join(" ", command) + "\n" + out);
            }
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
    }

    private static String readAllQuietly(InputStream in) {
        try {
            return readAll(in);
        } catch (IOException e) {
            return "";
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        in.transferTo(buffer);
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /** Whether this JVM runs as root. */
    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"))
                || outputOf(List.of("id", "-u")).map(String::trim).filter("0"::equals).isPresent();
    }

    /**
     * The user the servers run as when this JVM is root: {@code postgres} if it exists,
     * else {@code nobody}.
     */
    public static String serverUser() {
        return outputOf(List.of("id", "-u", "postgres")).isPresent() ? "postgres" : "nobody";
    }

    /**
     * The prefix that makes a command run as {@code user}: {@code setpriv} replaces itself
     * with the command (no intermediate process), so the started process's pid is the
     * server's own.
     */
    public static List<String> runAs(String user) {
        String group = outputOf(List.of("id", "-gn", user)).map(String::trim)
                .orElseThrow(() -> new IllegalStateException("no group for the user " + user));
        return List.of("setpriv", "--reuid=" + user, "--regid=" + group, "--init-groups", "--");
    }

    /** Gives a whole tree to {@code user}. */
    public static void chownTree(Path root, String user) {
        try {
            UserPrincipalLookupService lookup = root.getFileSystem().getUserPrincipalLookupService();
            UserPrincipal owner = lookup.lookupPrincipalByName(user);
            String groupName = outputOf(List.of("id", "-gn", user)).map(String::trim).orElse(user);
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(groupName);
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    own(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    own(file);
                    return FileVisitResult.CONTINUE;
                }

                private void own(Path p) throws IOException {
                    PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    view.setOwner(owner);
                    view.setGroup(group);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot give " + root + " to " + user, e);
        }
    }

    /** Makes one directory readable and traversable by everyone, leaving what it holds alone. */
    public static void makeDirectoryTraversable(Path dir) throws IOException {
        Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(dir));
        perms.addAll(EnumSet.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE));
        Files.setPosixFilePermissions(dir, perms);
    }

    /**
     * Makes every directory of a tree readable and traversable by everyone. Never on a tree
     * holding data directories: PostgreSQL refuses to start on one that others can read.
     */
    public static void makeTraversable(Path root) throws IOException {
        Set<PosixFilePermission> extra = EnumSet.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE);
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(dir));
                perms.addAll(extra);
                Files.setPosixFilePermissions(dir, perms);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Deletes a tree; files that vanish meanwhile are fine. */
    public static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    /** Sends a signal ({@code KILL}, {@code STOP}, {@code CONT}, {@code INT}, ...) to processes. */
    public static void signal(String signal, List<Long> pids) {
        if (pids.isEmpty()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        // kill exits non-zero when a process vanished in between: that is no failure here.
        outputOf(command);
    }

    /** A process and all its living descendants, the process first. */
    public static List<Long> tree(long pid) {
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        return pids;
    }

    /**
     * The state letter of a process from {@code /proc/<pid>/stat} ({@code R}, {@code S},
     * {@code T} stopped, {@code Z} zombie, ...), or {@code 'X'} if it is gone.
     */
    public static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name is in parentheses and may contain spaces: the state follows the last ')'.
            int close = stat.lastIndexOf(')');
            return stat.charAt(close + 2);
        } catch (IOException | RuntimeException e) {
            return 'X';
        }
    }

    /** Whether a process has exited: gone, or a zombie that nobody reaped yet. */
    public static boolean isGone(long pid) {
        char s = state(pid);
        return s == 'X' || s == 'Z';
    }

    /** Waits until every process has exited; false if some still run after the timeout. */
    public static boolean awaitGone(List<Long> pids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Long> alive = pids.stream().filter(p -> !isGone(p)).collect(Collectors.toList());
            if (alive.isEmpty()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(Duration.ofMillis(10));
        }
    }

    /** Sleeps, keeping the interrupt flag. */
    public static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
