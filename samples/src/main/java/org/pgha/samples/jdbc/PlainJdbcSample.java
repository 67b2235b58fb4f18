package org.pgha.samples.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.pgha.pool.PghaPoolDataSource;

/**
 * pgha without Spring: the pool, configured like HikariCP, with a {@code jdbc:pgha:} URL that
 * names every node. (A plain {@code DriverManager.getConnection("jdbc:pgha://...")} works too.)
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
        System.out.println(run(args[0], args[1], args[2]));
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
