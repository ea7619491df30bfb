package io.strongroom.storage.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.base.StrongroomException;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.ColumnVector;
import io.strongroom.storage.StoreKeys;
import io.strongroom.testkit.fuzz.Fuzz;
import io.strongroom.testkit.fuzz.FuzzInput;
import io.strongroom.testkit.fuzz.Generator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzz targets for the block and manifest decoders (docs/security.md, "Fuzzing"). For any input the decoder returns
 * a value or throws {@link StrongroomException}, nothing else; what it accepts re-encodes and decodes the same.
 *
 * <ul>
 *   <li>{@code storage.block}: a block payload (codec byte, raw length, zstd or raw column chunk), sealed as an
 *       unencrypted block file so that its checksum holds and {@link BlockCodec#values} gets past the envelope to
 *       decompression and {@link ColumnChunkCodec}, and what it makes is read whole. A seed file is {@code u8 column type (index into TYPES) | u32
 *       row count | payload}. (The envelope under the block is a target of its own in crypto.)
 *   <li>{@code storage.manifest}: {@link TableManifest#decodeBody}, then {@link TableManifest#checkInvariants}. A
 *       seed file is {@code u8 format version | body}.
 * </ul>
 *
 * Seeds: {@code src/test/resources/fuzz/storage-block} and {@code storage-manifest}, made by the encoders ({@link
 * #writeCorpus}).
 */
class StorageFuzzTest {
    private static final String STORE = "fuzz-store";
    private static final long TABLE = 5;
    private static final Sealer CLEAR = new Sealer(StoreKeys.unencrypted(), 0);
    private static final List<ColumnType> TYPES = List.of(
            ColumnType.BIGINT,
            ColumnType.INTEGER,
            ColumnType.BOOLEAN,
            ColumnType.DOUBLE,
            ColumnType.varchar(64),
            ColumnType.DATE,
            ColumnType.TIMESTAMP);

    private Generator<FuzzInput> blocks() {
        return Fuzz.inputs(Fuzz.corpus(getClass(), "storage-block"), 64 * 1024);
    }

    private Generator<FuzzInput> manifests() {
        return Fuzz.inputs(Fuzz.corpus(getClass(), "storage-manifest"), 16 * 1024);
    }

    @Test
    void blockDecode_returnsOrThrowsTyped_andWhatDecodesReencodes() {
        Fuzz.run("storage.block", 3000, blocks(), StorageFuzzTest::checkBlockDecode);
    }

    @Test
    void manifestBody_decodesOrThrowsTyped_andReencodes() {
        Fuzz.run("storage.manifest", 3000, manifests(), StorageFuzzTest::checkManifestBody);
    }

    private static void checkBlockDecode(FuzzInput in) {
        byte[] bytes = in.bytes();
        if (bytes.length < 5) {
            Fuzz.decodes(
                    () -> BlockCodec.values(
                            bytes,
                            entry(0, bytes.length),
                            TYPES.get(0),
                            STORE,
                            TABLE,
                            new BlockOrigins.Origin(STORE, TABLE),
                            CLEAR,
                            "fuzz block"),
                    StrongroomException.class);
            return;
        }
        ColumnType type = TYPES.get(Math.floorMod(bytes[0], TYPES.size()));
        int rows = Math.floorMod(ByteBuffer.wrap(bytes, 1, 4).getInt(), BlockRef.MAX_ROWS + 1);
        byte[] payload = Arrays.copyOfRange(bytes, 5, bytes.length);
        BlockCodec.Written w = BlockCodec.seal(
                payload,
                payload.length,
                FileHeader.Kind.BLOCK.newestVersion(),
                new BlockRef(7, 1, 0, 0, rows, 0, 0, ZoneMap.EMPTY),
                STORE,
                TABLE,
                false,
                CLEAR);
        byte[] file = Arrays.copyOf(w.file(), w.length());
        Fuzz.decodes(() -> decode(file, w.entry(), type), StrongroomException.class)
                .ifPresent(v -> {
                    assertThat(v.size()).isEqualTo(rows);
                    BlockCodec.Written again = BlockCodec.encode(v, 0, v.size(), STORE, TABLE, 1, 0, 7, 0, CLEAR);
                    ColumnVector back = decode(Arrays.copyOf(again.file(), again.length()), again.entry(), type);
                    assertSameValues(back, v);
                });
    }

    /** The block's rows, through the form the read path keeps (checked whole when made, never failing after). */
    private static ColumnVector decode(byte[] file, ManifestEntry entry, ColumnType type) {
        BlockValues kept = BlockCodec.values(
                file, entry, type, STORE, TABLE, new BlockOrigins.Origin(STORE, TABLE), CLEAR, "fuzz block");
        return kept.slice(0, kept.rows());
    }

    private static ManifestEntry entry(int rows, int storedBytes) {
        return new ManifestEntry(new BlockRef(7, 1, 0, 0, rows, 0, storedBytes, ZoneMap.EMPTY), 0, new byte[0]);
    }

    private static void assertSameValues(ColumnVector actual, ColumnVector expected) {
        assertThat(actual.size()).isEqualTo(expected.size());
        for (int r = 0; r < expected.size(); r++) {
            assertThat(actual.isNull(r)).as("null at row %d", r).isEqualTo(expected.isNull(r));
            if (expected.isNull(r)) {
                continue;
            }
            switch (expected.type().physical()) {
                case LONG -> assertThat(actual.getLong(r)).as("row %d", r).isEqualTo(expected.getLong(r));
                case DOUBLE ->
                    assertThat(Double.doubleToRawLongBits(actual.getDouble(r)))
                            .as("row %d", r)
                            .isEqualTo(Double.doubleToRawLongBits(expected.getDouble(r)));
                default -> assertThat(actual.getString(r)).as("row %d", r).isEqualTo(expected.getString(r));
            }
        }
    }

    private static void checkManifestBody(FuzzInput in) {
        byte[] bytes = in.bytes();
        int version = bytes.length == 0 ? 1 : 1 + Math.floorMod(bytes[0], 3);
        byte[] body = bytes.length == 0 ? bytes : Arrays.copyOfRange(bytes, 1, bytes.length);
        Fuzz.decodes(() -> TableManifest.decodeBody(body, version, "fuzz manifest"), StrongroomException.class)
                .ifPresent(m -> {
                    byte[] encoded = m.encodeBody();
                    if (m.formatVersion() == version) {
                        assertThat(encoded)
                                .as("an accepted body re-encodes byte for byte")
                                .isEqualTo(body);
                    }
                    assertThat(TableManifest.decodeBody(encoded, m.formatVersion(), "re-encoded")
                                    .encodeBody())
                            .isEqualTo(encoded);
                    int[] columns = m.blocks().stream()
                            .mapToInt(BlockRef::columnId)
                            .distinct()
                            .toArray();
                    Fuzz.decodes(
                            () -> {
                                m.checkInvariants(columns, "fuzz manifest");
                                return m;
                            },
                            StrongroomException.class);
                });
    }

    @Test
    void corpus_everySeedHoldsItsProperties() {
        for (byte[] seed : Fuzz.corpus(getClass(), "storage-block")) {
            checkBlockDecode(new FuzzInput(seed, "corpus"));
        }
        for (byte[] seed : Fuzz.corpus(getClass(), "storage-manifest")) {
            checkManifestBody(new FuzzInput(seed, "corpus"));
        }
    }

    /** Regenerates the seed files: {@code mvn -pl storage test -Dtest=StorageFuzzTest -Dstrongroom.fuzz.writeCorpus=true}. */
    @Test
    @EnabledIfSystemProperty(named = Fuzz.WRITE_CORPUS_PROPERTY, matches = "true")
    void writeCorpus() {
        for (int t = 0; t < TYPES.size(); t++) {
            ColumnType type = TYPES.get(t);
            for (int rows : new int[] {1, 40, 100}) {
                ColumnVector v = new ColumnVector(type, rows);
                for (int r = 0; r < rows; r++) {
                    if (r % 7 == 3) {
                        v.appendNull();
                        continue;
                    }
                    switch (type.physical()) {
                        case LONG ->
                            v.appendLong(
                                    type.kind() == ColumnType.Kind.BOOLEAN
                                            ? r % 2
                                            : rows == 100 ? 1000L + (r * 7919L) % 4096 : 1000L + r * 3);
                        case DOUBLE -> v.appendDouble(r * 0.5);
                        default -> v.appendString(r % 3 == 0 ? "same" : "value-" + r);
                    }
                }
                BlockCodec.Written w = BlockCodec.encode(v, 0, rows, STORE, TABLE, 1, 0, 7, 0, CLEAR);
                BlockCodec.Payload p = BlockCodec.open(
                        Arrays.copyOf(w.file(), w.length()),
                        w.entry(),
                        STORE,
                        TABLE,
                        new BlockOrigins.Origin(STORE, TABLE),
                        CLEAR,
                        "seed");
                byte[] seed = ByteBuffer.allocate(5 + p.length())
                        .put((byte) t)
                        .putInt(rows)
                        .put(p.bytes(), 0, p.length())
                        .array();
                Fuzz.writeSeed("storage-block", type.kind() + "-" + rows + ".bin", seed);
            }
        }
        WrappedBlockKeys keys = WrappedBlockKeys.builder(2)
                .add(1, new byte[60])
                .add(1, new byte[60])
                .build();
        List<BlockRef> blocks = List.of(
                new BlockRef(1, 0, 0, 0, 4, 1, 100, ZoneMap.ofLongs(1, 9)),
                new BlockRef(
                        2,
                        0,
                        1,
                        0,
                        2,
                        0,
                        80,
                        ZoneMap.ofBytes("a".getBytes(StandardCharsets.UTF_8), "b".getBytes(StandardCharsets.UTF_8))));
        BitSet deleted = new BitSet();
        deleted.set(1);
        deleted.set(3);
        TableManifest v1 = new TableManifest(TABLE, 3, new long[] {4, 2}, blocks, keys, Map.of(0, deleted));
        TableManifest v2 = new TableManifest(
                TABLE,
                4,
                new long[] {4, 2},
                blocks,
                keys,
                Map.of(),
                List.of(ColumnFill.of(1, ColumnType.BIGINT, 7L, new long[] {4, 2})));
        TableManifest empty = TableManifest.empty(TABLE, 3);
        for (Map.Entry<String, TableManifest> e :
                Map.of("v1.bin", v1, "v2-fill.bin", v2, "empty.bin", empty).entrySet()) {
            byte[] body = e.getValue().encodeBody();
            byte[] seed = ByteBuffer.allocate(1 + body.length)
                    .put((byte) (e.getValue().formatVersion() - 1))
                    .put(body)
                    .array();
            Fuzz.writeSeed("storage-manifest", e.getKey(), seed);
        }
    }
}
