package io.strongroom.bench;

import io.strongroom.sql.Result;
import io.strongroom.sql.SqlSession;
import io.trino.tpch.TpchEntity;
import io.trino.tpch.TpchTable;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * TPC-H data as the benchmarks load it: each table generated ({@code io.trino.tpch}) to a '|'-delimited text file,
 * created from the shared schema ({@code tpch/tables.properties} in the sql module), and loaded with COPY FROM
 * STDIN into Strongroom or with COPY from the file into DuckDB.
 */
final class TpchData {
    /** The TPC-H schema, shared with the correctness test. */
    private static final Properties DDL = tables();

    private TpchData() {}

    private static Properties tables() {
        Properties p = new Properties();
        try (InputStream in = Objects.requireNonNull(
                TpchData.class.getResourceAsStream("/tpch/tables.properties"), "tpch/tables.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** The CREATE TABLE statement of {@code name}. */
    static String ddl(String name) {
        return "CREATE TABLE " + name + " (" + DDL.getProperty(name) + ")";
    }

    /** Writes {@code table} at scale factor {@code sf} to {@code file}, one '|'-delimited line a row. */
    static void write(TpchTable<?> table, double sf, Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (TpchEntity e : table.createGenerator(sf, 1, 1)) {
                String line = e.toLine();
                w.write(line, 0, line.endsWith("|") ? line.length() - 1 : line.length());
                w.write('\n');
            }
        }
    }

    /** Creates table {@code name} and loads {@code file} into it with COPY FROM STDIN; returns the milliseconds. */
    static long load(SqlSession s, String name, Path file) throws IOException {
        long t = System.nanoTime();
        s.execute(s.prepare(ddl(name), List.of()), List.of());
        Result.CopyIn copy = (Result.CopyIn)
                s.execute(s.prepare("COPY " + name + " FROM STDIN WITH DELIMITER '|'", List.of()), List.of());
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                copy.sink().write(buf, 0, n);
            }
        }
        copy.sink().finish();
        return (System.nanoTime() - t) / 1_000_000;
    }

    /** Creates table {@code name} in DuckDB and loads {@code file} with its COPY; returns the milliseconds. */
    static long load(Connection duck, String name, Path file) throws Exception {
        long t = System.nanoTime();
        try (Statement s = duck.createStatement()) {
            s.execute(ddl(name));
            s.execute("COPY " + name + " FROM '" + file + "' (DELIMITER '|', HEADER false, QUOTE '', ESCAPE '')");
        }
        return (System.nanoTime() - t) / 1_000_000;
    }
}
