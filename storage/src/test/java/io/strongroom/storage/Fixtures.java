package io.strongroom.storage;

import io.strongroom.base.FaultHook;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/** Shared test data: a table of every type, deterministic rows, and order-independent table checksums. */
final class Fixtures {
    private Fixtures() {}

    static final String DEK_ID = "test-cluster/dek";

    /**
     * A store's fault hook that passes only the store's {@link CommitStep}s to {@code hook}, leaving out the
     * durable file steps each is made of: crash tests that count and stop at commit steps.
     */
    static FaultHook commitSteps(BiConsumer<CommitStep, @Nullable Path> hook) {
        return (point, file) -> {
            if (point instanceof CommitStep step) {
                hook.accept(step, file);
            }
        };
    }

    /**
     * A commit-step schedule that lets {@code target} steps pass, then crashes (throws {@link
     * CrashTest.SimulatedCrash}) at the next, recording it in {@code crashedAt[0]}; with {@code tear}, a file that
     * step wrote before the pointer switch is first cut to a third, as a crash mid-write would leave it.
     */
    static BiConsumer<CommitStep, @Nullable Path> crashAtStep(int target, boolean tear, CommitStep[] crashedAt) {
        int[] seen = {0};
        return (step, file) -> {
            if (seen[0]++ != target) {
                return;
            }
            crashedAt[0] = step;
            if (tear && file != null && step.compareTo(CommitStep.POINTER_SWITCHED) < 0) {
                try {
                    byte[] b = Files.readAllBytes(file);
                    Files.write(file, Arrays.copyOf(b, b.length / 3));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            throw new CrashTest.SimulatedCrash("crash at " + step);
        };
    }

    static DatabaseKey dek(byte seed) {
        byte[] m = new byte[32];
        Arrays.fill(m, seed);
        m[0] = 42;
        return DatabaseKey.ofMaterial(new KeyInfo(KeyTier.DATABASE, DEK_ID, 1), SecretBytes.copyOf(m));
    }

    static List<Column> allTypes() {
        return List.of(
                new Column(0, "id", ColumnType.BIGINT),
                new Column(1, "b", ColumnType.BOOLEAN),
                new Column(2, "si", ColumnType.SMALLINT),
                new Column(3, "i", ColumnType.INTEGER),
                new Column(4, "d18", ColumnType.decimal(18, 4)),
                new Column(5, "d38", ColumnType.decimal(38, 10)),
                new Column(6, "r", ColumnType.REAL),
                new Column(7, "dp", ColumnType.DOUBLE),
                new Column(8, "c", ColumnType.charType(10)),
                new Column(9, "vc", ColumnType.varchar(300)),
                new Column(10, "dt", ColumnType.DATE),
                new Column(11, "ts", ColumnType.TIMESTAMP),
                new Column(12, "tstz", ColumnType.TIMESTAMPTZ));
    }

    /** Row {@code id} of the all-types table: edge values first, NULLs in every column now and then. */
    static Object[] allTypesRow(long id) {
        Random r = new Random(id * 7919);
        Object[] v = new Object[13];
        v[0] = id;
        int edge = (int) (id % 17);
        v[1] = r.nextBoolean();
        v[2] = (short) (edge == 1 ? Short.MIN_VALUE : edge == 2 ? Short.MAX_VALUE : r.nextInt(Short.MAX_VALUE));
        v[3] = edge == 1 ? Integer.MIN_VALUE : edge == 2 ? Integer.MAX_VALUE : r.nextInt();
        v[4] = edge == 1
                ? new BigDecimal("-99999999999999.9999")
                : edge == 2
                        ? new BigDecimal("99999999999999.9999")
                        : BigDecimal.valueOf(r.nextLong() % 1_000_000_000_000L, 4);
        v[5] = edge == 1
                ? new BigDecimal("-9999999999999999999999999999.9999999999")
                : edge == 2
                        ? new BigDecimal("9999999999999999999999999999.9999999999")
                        : new BigDecimal(r.nextLong() + "." + Math.abs(r.nextInt(1_000_000_000)) + "1").setScale(10);
        v[6] = edge == 1 ? Float.NaN : edge == 2 ? Float.NEGATIVE_INFINITY : edge == 3 ? -0.0f : r.nextFloat() * 1e6f;
        v[7] = edge == 1
                ? Double.MAX_VALUE
                : edge == 2 ? Double.MIN_VALUE : edge == 3 ? Double.NaN : r.nextGaussian() * 1e12;
        v[8] = edge == 1 ? "" : edge == 2 ? "abcdefghij" : "c" + (id % 100);
        v[9] = edge == 1
                ? ""
                : edge == 2
                        ? "ü€𝄞".repeat(30) + "x".repeat(300 - 9 * 30)
                        : "row " + id + " " + Long.toHexString(r.nextLong());
        v[10] = edge == 1
                ? LocalDate.of(1, 1, 1)
                : edge == 2 ? LocalDate.of(9999, 12, 31) : LocalDate.ofEpochDay(r.nextInt(40_000));
        v[11] = edge == 1
                ? LocalDateTime.of(1900, 1, 1, 0, 0)
                : LocalDateTime.ofEpochSecond(r.nextInt(2_000_000_000), r.nextInt(1_000_000) * 1000, ZoneOffset.UTC);
        v[12] = (edge == 2
                        ? Instant.parse("2262-04-11T23:47:16.854775Z")
                        : Instant.ofEpochSecond(r.nextInt(2_000_000_000), r.nextInt(1_000_000) * 1000L))
                .atOffset(ZoneOffset.UTC);
        if (id % 13 == 5) {
            v[1 + (int) (id % 12)] = null;
        }
        if (id % 101 == 7) {
            Arrays.fill(v, 1, 13, null);
        }
        return v;
    }

    static RowBatch allTypesBatch(long fromId, int rows) {
        RowBatch b = RowBatch.builder(allTypes(), rows);
        for (long id = fromId; id < fromId + rows; id++) {
            b.addRow(allTypesRow(id));
        }
        return b;
    }

    /** Every row of a table as its values, sorted by the first column. */
    static List<Object[]> readAll(TableReader reader) {
        List<Object[]> rows = new ArrayList<>();
        for (TableReader.SliceScan s :
                reader.scan(ScanSpec.all(reader.spec().columns().size()))) {
            while (s.hasNext()) {
                RowBatch b = s.next();
                for (int r = 0; r < b.rowCount(); r++) {
                    Object[] row = new Object[b.columnCount()];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = b.column(c).get(r);
                    }
                    rows.add(row);
                }
            }
        }
        rows.sort((a, b) -> Long.compare(
                ((Number) Objects.requireNonNull(a[0])).longValue(),
                ((Number) Objects.requireNonNull(b[0])).longValue()));
        return rows;
    }

    /** Row count and an order-independent SHA-256-based checksum of every value. */
    static String countAndChecksum(TableReader reader) {
        long count = 0;
        long sum = 0;
        for (TableReader.SliceScan s :
                reader.scan(ScanSpec.all(reader.spec().columns().size()))) {
            while (s.hasNext()) {
                RowBatch b = s.next();
                for (int r = 0; r < b.rowCount(); r++) {
                    StringBuilder sb = new StringBuilder();
                    for (int c = 0; c < b.columnCount(); c++) {
                        sb.append(b.column(c).get(r)).append('|');
                    }
                    sum += hash(sb.toString());
                    count++;
                }
            }
        }
        return count + ":" + Long.toHexString(sum);
    }

    static long hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (d[i] & 0xff);
            }
            return h;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
