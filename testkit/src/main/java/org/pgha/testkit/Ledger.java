package org.pgha.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A write ledger: records what the application was told about each write that carries a unique id,
 * then checks the database against it, so that a test can prove that nothing acknowledged was lost
 * and nothing was written twice.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Create the table once with {@link #createTable(Connection)}.
 *   <li>For every write, take an id with {@link #newId()} and insert it with {@link #insertSql()}
 *       (parameter 1 the id, parameter 2 any payload).
 *   <li>Record exactly one outcome for the id:
 *       <ul>
 *         <li>{@link #acknowledged(long)} only once the commit returned without error (with
 *             auto-commit: once {@code executeUpdate} returned);
 *         <li>{@link #failed(long)} only when the application <em>knows</em> the transaction did not
 *             commit: the error came before the commit was sent, or the transaction was rolled
 *             back;
 *         <li>{@link #unknown(long)} whenever the outcome cannot be known, above all when the
 *             connection broke while the commit was in flight. Such an error is <em>not</em> a
 *             failure: the server may have committed before the connection died.
 *       </ul>
 *   <li>When all writers have stopped, call {@link #verify(Connection)} against the primary.
 * </ol>
 *
 * <h2>What the report means</h2>
 * An acknowledged id absent from the table is a <em>lost</em> write; an id present more than once
 * is a <em>doubled</em> write (typically a blind retry of a write whose outcome was unknown); a
 * {@code failed} id that is present is a <em>ghost</em> (the application was told no, so a retry
 * would double it); an id in the table that this ledger never issued is <em>unexpected</em>.
 * Unknown and pending ids may or may not be present: they are counted, not judged (but two copies
 * of one are still a duplicate).
 *
 * <h2>Hazards</h2>
 * <ul>
 *   <li><b>Leftover rows.</b> {@code CREATE TABLE IF NOT EXISTS} keeps the rows of an earlier run.
 *       A leftover row carrying an id that this run lost would hide the loss. To make that
 *       practically impossible, a ledger's ids start at a base taken from the wall clock when it
 *       is constructed (epoch milliseconds times one million), so runs started at least a
 *       millisecond apart, each issuing fewer than a million ids per millisecond of separation,
 *       never share ids, and leftover rows show up as {@linkplain LedgerReport#unexpected()
 *       unexpected}. Two ledgers created within the same millisecond, however, issue the same
 *       ids: never let two live ledgers share a table, and prefer a fresh table per run.
 *   <li><b>Verify on the primary, after the writers stop.</b> Against a lagging standby, writes
 *       still in flight in replication look lost. Outcomes recorded while {@code verify} runs may
 *       or may not be in the report.
 *   <li><b>Connection state.</b> {@link #createTable} and {@link #verify} use the connection as
 *       given: they neither commit nor close it. With auto-commit off, the caller commits.
 *   <li><b>Memory.</b> Every id is kept until the ledger is dropped (tens of bytes each): fine for
 *       millions of writes, not for an endless soak.
 * </ul>
 *
 * <p>Thread-safe: any number of threads may take ids and record outcomes concurrently.
 */
public final class Ledger {

    /** The table used by {@link #Ledger()}. */
    public static final String DEFAULT_TABLE = "pgha_ledger";

    // An unquoted PostgreSQL identifier: ASCII letters, digits and underscores, not starting with a
    // digit, at most 63 bytes (NAMEDATALEN - 1; longer names are silently truncated by the server,
    // which could make two ledgers share a table). Non-ASCII letters are legal in PostgreSQL but
    // refused here to keep the rule simple and encoding-proof.
    private static final Pattern PLAIN_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    // Keywords PostgreSQL reserves outright or allows only as function/type names: none of them can
    // be an unquoted table name, and the SQL built here never quotes.
    private static final Set<String> RESERVED = Set.of(
            "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
            "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
            "column", "concurrently", "constraint", "create", "cross", "current_catalog",
            "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
            "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
            "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group",
            "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull",
            "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
            "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer",
            "overlaps", "placing", "primary", "references", "returning", "right", "select",
            "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample",
            "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic",
            "verbose", "when", "where", "window", "with");

    /** What the application was told about one id. */
    enum Outcome {
        /** Issued by {@link #newId()}, no outcome recorded yet. */
        ATTEMPTED,
        ACKNOWLEDGED,
        FAILED,
        UNKNOWN;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final String table;
    private final AtomicLong nextId;
    private final ConcurrentHashMap<Long, Outcome> outcomes = new ConcurrentHashMap<>();

    /** A ledger on the table {@value #DEFAULT_TABLE}. */
    public Ledger() {
        this(DEFAULT_TABLE);
    }

    /**
     * A ledger on the given table.
     *
     * @param table a plain, unquoted SQL identifier (letters, digits, underscores, not starting with a
     *     digit, at most 63 characters, not a reserved word); it is pasted into SQL as is, which is
     *     why it is checked
     * @throws IllegalArgumentException naming the table if it is not such an identifier
     */
    public Ledger(String table) {
        this.table = requirePlainIdentifier(table);
        // See "Leftover rows" in the class comment for why ids do not start at 1.
        this.nextId = new AtomicLong(Math.multiplyExact(System.currentTimeMillis(), 1_000_000L));
    }

    private static String requirePlainIdentifier(String table) {
        if (table == null
                || !PLAIN_IDENTIFIER.matcher(table).matches()
                || RESERVED.contains(table.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(
                    "ledger table name must be a plain SQL identifier (letters, digits, underscores,"
                            + " not starting with a digit, at most 63 characters, not a reserved"
                            + " word): " + (table == null ? "null" : "'" + table + "'"));
        }
        return table;
    }

    /**
     * The table this ledger writes and verifies.
     *
     * @return the table name as given to the constructor
     */
    public String table() {
        return table;
    }

    /**
     * Creates the ledger table if it does not exist:
     * {@code CREATE TABLE IF NOT EXISTS <table> (id bigint NOT NULL, payload text, written_at
     * timestamptz NOT NULL DEFAULT clock_timestamp())}.
     *
     * <p>There is deliberately <b>no</b> primary key or unique constraint on {@code id}: a
     * constraint would turn a doubled write into an error the application sees (or swallows), and
     * the very thing this ledger must detect would leave no trace in the table. {@code written_at}
     * uses {@code clock_timestamp()} (not {@code now()}, the transaction start) so the rows of a
     * doubled or ghost write can be dated when investigating.
     *
     * <p>An existing table is kept with its rows: see "Leftover rows" in the class comment.
     * The connection is not committed: with auto-commit off, the caller commits.
     *
     * @param c a connection to the primary
     * @throws SQLException as thrown by the driver
     */
    public void createTable(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(createTableSql());
        }
    }

    String createTableSql() {
        return "CREATE TABLE IF NOT EXISTS " + table
                + " (id bigint NOT NULL, payload text,"
                + " written_at timestamptz NOT NULL DEFAULT clock_timestamp())";
    }

    /**
     * Issues a new id, unique within this ledger, and records it as attempted.
     *
     * <p>Take the id <em>before</em> sending the write, so that a write whose outcome is never
     * recorded (say, its thread was killed) is still known to the ledger and counted as pending
     * rather than reported as unexpected.
     *
     * @return the id to insert; positive
     */
    public long newId() {
        long id = nextId.getAndIncrement();
        outcomes.put(id, Outcome.ATTEMPTED);
        return id;
    }

    /**
     * The statement to insert one ledger row: {@code INSERT INTO <table> (id, payload) VALUES (?, ?)}.
     * Parameter 1 is the id from {@link #newId()}, parameter 2 any text (may be null).
     *
     * @return the SQL text, for {@link Connection#prepareStatement(String)}
     */
    public String insertSql() {
        return "INSERT INTO " + table + " (id, payload) VALUES (?, ?)";
    }

    /**
     * Records that the database acknowledged the write of {@code id}: its commit returned without
     * error. From then on the row must be in the table exactly once.
     *
     * <p>Recording the same outcome twice is harmless.
     *
     * @param id an id from {@link #newId()}
     * @throws IllegalArgumentException if this ledger never issued the id
     * @throws IllegalStateException naming the id and both outcomes if another outcome was recorded
     */
    public void acknowledged(long id) {
        record(id, Outcome.ACKNOWLEDGED);
    }

    /**
     * Records that the application was told the write of {@code id} definitely did not commit
     * (error before the commit was sent, or rollback). From then on the row must be absent.
     *
     * <p>Never use this for an error during the commit itself (such as a broken connection): that
     * outcome is {@linkplain #unknown(long) unknown}, and calling it failed would turn a correct
     * commit into a reported ghost, or worse, invite a retry that doubles it.
     *
     * @param id an id from {@link #newId()}
     * @throws IllegalArgumentException if this ledger never issued the id
     * @throws IllegalStateException naming the id and both outcomes if another outcome was recorded
     */
    public void failed(long id) {
        record(id, Outcome.FAILED);
    }

    /**
     * Records that the outcome of the write of {@code id} is unknown (the connection broke while
     * the commit was in flight, a timeout, a failover). The row may be present once or absent;
     * the report counts which, and flags it only if it is present more than once.
     *
     * <p>An unknown outcome is final for the ledger: if the caller later learns what happened, the
     * table is the truth and {@link #verify(Connection)} reads it.
     *
     * @param id an id from {@link #newId()}
     * @throws IllegalArgumentException if this ledger never issued the id
     * @throws IllegalStateException naming the id and both outcomes if another outcome was recorded
     */
    public void unknown(long id) {
        record(id, Outcome.UNKNOWN);
    }

    private void record(long id, Outcome outcome) {
        // compute() runs atomically per key, so two threads racing to record conflicting outcomes
        // cannot both succeed; an exception thrown here leaves the mapping unchanged.
        outcomes.compute(id, (key, previous) -> {
            if (previous == null) {
                throw new IllegalArgumentException(
                        "id " + id + " was never issued by this ledger (use newId()); cannot record it as "
                                + outcome.label());
            }
            if (previous == Outcome.ATTEMPTED || previous == outcome) {
                return outcome;
            }
            throw new IllegalStateException(
                    "conflicting outcomes for id " + id + ": already recorded as " + previous.label()
                            + ", now recorded as " + outcome.label() + " (a caller bug)");
        });
    }

    /**
     * Reads the ledger table ({@code SELECT id, count(*) FROM <table> GROUP BY id}) and compares it
     * with the recorded outcomes; see {@link #compare(Map)}.
     *
     * <p>Call it on the primary, once every writer has stopped and recorded its outcomes. The
     * connection is used as given and neither committed nor closed.
     *
     * @param primary a connection to the current primary
     * @return the comparison
     * @throws SQLException as thrown by the driver
     */
    public LedgerReport verify(Connection primary) throws SQLException {
        Map<Long, Long> countsById = new HashMap<>();
        try (Statement st = primary.createStatement();
                ResultSet rs = st.executeQuery(verifySql())) {
            while (rs.next()) {
                // GROUP BY makes ids unique; summing anyway costs nothing and cannot hide a row.
                countsById.merge(rs.getLong(1), rs.getLong(2), Long::sum);
            }
        }
        return compare(countsById);
    }

    String verifySql() {
        return "SELECT id, count(*) FROM " + table + " GROUP BY id";
    }

    /**
     * Compares the recorded outcomes with the rows found in the table. Pure: no database.
     *
     * <p>Takes a point-in-time copy of the outcomes; outcomes recorded concurrently may or may not
     * be included.
     *
     * @param countsById for each id present in the table, how many rows carry it (at least 1); ids
     *     absent from the table are absent from the map
     * @return the report; {@link LedgerReport#isClean()} tells whether anything was lost, doubled,
     *     ghosted or unexpected
     * @throws IllegalArgumentException if the map, a key or a count is null, or a count is below 1
     */
    public LedgerReport compare(Map<Long, Long> countsById) {
        if (countsById == null) {
            throw new IllegalArgumentException("countsById must not be null");
        }
        Map<Long, Outcome> recorded = new HashMap<>(outcomes);

        List<Long> unexpected = new ArrayList<>();
        List<LedgerReport.Duplicate> duplicated = new ArrayList<>();
        for (Map.Entry<Long, Long> e : countsById.entrySet()) {
            Long id = e.getKey();
            Long count = e.getValue();
            if (id == null || count == null || count < 1) {
                throw new IllegalArgumentException(
                        "countsById must map non-null ids to counts of at least 1, got " + id + " -> " + count);
            }
            if (!recorded.containsKey(id)) {
                unexpected.add(id);
            }
            if (count > 1) {
                duplicated.add(new LedgerReport.Duplicate(id, count));
            }
        }

        long acknowledged = 0;
        long failed = 0;
        long unknown = 0;
        long pending = 0;
        long unknownPresent = 0;
        long pendingPresent = 0;
        List<Long> lost = new ArrayList<>();
        List<Long> ghosts = new ArrayList<>();
        for (Map.Entry<Long, Outcome> e : recorded.entrySet()) {
            long id = e.getKey();
            boolean present = countsById.containsKey(id);
            switch (e.getValue()) {
                case ACKNOWLEDGED -> {
                    acknowledged++;
                    if (!present) {
                        lost.add(id);
                    }
                }
                case FAILED -> {
                    failed++;
                    if (present) {
                        ghosts.add(id);
                    }
                }
                case UNKNOWN -> {
                    unknown++;
                    if (present) {
                        unknownPresent++;
                    }
                }
                case ATTEMPTED -> {
                    pending++;
                    if (present) {
                        pendingPresent++;
                    }
                }
            }
        }
        // LedgerReport sorts its lists.
        return new LedgerReport(recorded.size(), acknowledged, failed, unknown, pending,
                lost, duplicated, ghosts, unexpected, unknownPresent, unknown - unknownPresent, pendingPresent);
    }
}
