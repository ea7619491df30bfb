package io.strongroom.bench;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;

/**
 * One query on a DuckDB database file in a process of its own, for {@link TpchBench}'s from-disk run: the file is
 * opened read-only, the query (read from standard input) runs once, and the milliseconds it took (opening the file
 * not counted) are printed on standard output.
 *
 * <p>Usage: {@code DuckQuery <database file>}.
 */
public final class DuckQuery {
    private DuckQuery() {}

    public static void main(String[] args) throws Exception {
        String sql = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        Properties p = new Properties();
        p.setProperty("access_mode", "READ_ONLY");
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:" + args[0], p);
                Statement s = duck.createStatement()) {
            s.execute("SET autoinstall_known_extensions=false");
            s.execute("SET autoload_known_extensions=false");
            long t = System.nanoTime();
            try (ResultSet rs = s.executeQuery(sql)) {
                while (rs.next()) {
                    rs.getObject(1);
                }
            }
            System.out.printf(Locale.ROOT, "%.3f%n", (System.nanoTime() - t) / 1e6);
        }
    }
}
