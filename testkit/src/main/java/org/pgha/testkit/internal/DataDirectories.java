package org.pgha.testkit.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * Copies a PostgreSQL data directory file by file: a cold copy of a cleanly stopped server,
 * or the file-copy step of a hot backup taken between {@code pg_backup_start} and
 * {@code pg_backup_stop}. A hot copy leaves out what the PostgreSQL documentation says a base
 * backup must leave out (WAL, runtime state, temporary files), keeping the directories.
 */
public final class DataDirectories {

    /** Files no copy takes: they describe the running source, not its data. */
    private static final Set<String> NEVER = Set.of("postmaster.pid", "postmaster.opts");
    /** Files a hot copy also leaves out. */
    private static final Set<String> HOT_SKIPPED_FILES = Set.of("standby.signal", "recovery.signal", "backup_label",
            "tablespace_map", "current_logfiles", "pg_internal.init", "postgresql.auto.conf.tmp");
    /** Directories whose contents a hot copy leaves out (the directories themselves are created). */
    private static final Set<String> HOT_EMPTIED_DIRS = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");

    private DataDirectories() {
    }

    /** Copies {@code from} into a new directory {@code to}; {@code hot} when the source is running. */
    public static void copy(Path from, Path to, boolean hot) {
        try {
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Path rel = from.relativize(dir);
                    if (hot && dir.getFileName().toString().startsWith("pgsql_tmp")) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    Files.createDirectories(to.resolve(rel.toString()));
                    if (hot && rel.getNameCount() == 1 && HOT_EMPTIED_DIRS.contains(rel.toString())) {
                        if (rel.toString().equals("pg_wal")) {
                            Files.createDirectories(to.resolve("pg_wal").resolve("archive_status"));
                        }
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String name = file.getFileName().toString();
                    if (NEVER.contains(name) || (hot && HOT_SKIPPED_FILES.contains(name))) {
                        return FileVisitResult.CONTINUE;
                    }
                    try {
                        Files.copy(file, to.resolve(from.relativize(file).toString()),
                                StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                    } catch (NoSuchFileException vanished) {
                        // A running server removed it meanwhile (a hot copy): WAL replay recreates what matters.
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the data directory " + from + " to " + to, e);
        }
    }
}
