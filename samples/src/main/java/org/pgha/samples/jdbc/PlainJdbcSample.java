package org.pgha.samples.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.pgha.pool.PghaPoolDataSource;

/**
 * pgha without Spring: a {@code jdbc:pgha:} URL that names every node, with
 * {@code DriverManager} and with the pool, which is configured like HikariCP.
 *
 * <pre>
 * java -cp samples/target/pgha-samples.jar org.pgha.samples.jdbc.PlainJdbcSample \
 *     "jdbc:pgha://db1:5432,db2:5432,db3:5432/ehr?maxReplicaLag=1s" ehr_app "$EHR_DB_PASSWORD"
 * </pre>
 */
public final class PlainJdbcSample {

    private PlainJdbcSample() {
    }

    public static void main(String[] args) throws SQLException {
        if (args.length != 3) {
            System.err.println("usage: PlainJdbcSample <jdbc:pgha://...> <user> <password>");
            System.exit(2);
        }
        System.out.println("DriverManager: a connection to the " + withDriverManager(args[0], args[1], args[2]));
        System.out.println("PghaPoolDataSource: " + run(args[0], args[1], args[2]));
    }

    /**
     * The driver alone, as with any JDBC driver: every connection opens physical connections
     * of its own. Returns the server's role.
     */
    static String withDriverManager(String url, String user, String password) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1) ? "replica" : "primary";
        }
    }

    /** Writes a note on the primary, reads the notes on a replica; returns what it saw. */
    static String run(String url, String user, String password) throws SQLException {
        try (PghaPoolDataSource pool = new PghaPoolDataSource()) {
            pool.setJdbcUrl(url);
            pool.setUsername(user);
            pool.setPassword(password);
            pool.setMaximumPoolSize(4);

            try (Connection c = pool.getConnection()) {
                try (Statement s = c.createStatement()) {                      // writes: the primary
                    s.execute("CREATE TABLE IF NOT EXISTS ward_note (id bigint GENERATED ALWAYS AS IDENTITY, note text)");
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO ward_note (note) VALUES (?)")) {
                    ps.setString(1, "bed 12: fluids running");
                    ps.executeUpdate();
                }

                c.setReadOnly(true);  // reads: a replica within maxReplicaLag that has this connection's note
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT count(*), pg_is_in_recovery() FROM ward_note")) {
                    rs.next();
                    return rs.getLong(1) + " notes, read on a " + (rs.getBoolean(2) ? "replica" : "primary");
                }
            }
        }
    }
}
