package io.strongroom.storage.format;

import io.strongroom.storage.Column;
import io.strongroom.storage.ColumnType;
import io.strongroom.storage.DistStyle;
import io.strongroom.storage.TableConstraint;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One committed version of the whole store: its sequence number, the id counters, and for every table its
 * spec and the version and SHA-256 digest of its current manifest. The digest pins the manifest file, so an
 * older manifest put back in its place is detected even before it is decrypted.
 *
 * <pre>
 * body  = u64 seq | u64 nextTableId | u64 nextBlockId | u32 tableCount | table*
 * table = u64 tableId | utf schema | utf name | u8 distStyle | utf distKey ("" if none) | u32 sortKeyCount
 *         | utf sortKey* | u8 backup | u32 nextColumnId | u32 columnCount | column* | u64 manifestVersion
 *         | 32-byte manifest digest | u64 liveRows
 * column (v1) = u32 id | utf name | u8 type kind | u16 precision | u16 scale | u32 length
 * column (v2) = column (v1) | u8 flags (bit 0 NOT NULL, bit 1 DEFAULT; the others zero)
 *               | [u32 n | default: a one-row column chunk ({@link ColumnChunkCodec}) of n bytes, if DEFAULT]
 * table (v3)  = table (v2) | u32 constraintCount | constraint*
 * table (v4)  = table (v3) | u32 deltaCount | [u64 baseVersion | u8 n | n-byte base digest | u64 deltaBytes,
 *               if deltaCount &gt; 0]
 * table (v5)  = table (v4) | [u64 deltaSeq, if deltaCount &gt; 0]
 * constraint  = u8 kind (1 PRIMARY KEY, 2 UNIQUE, 3 FOREIGN KEY) | utf name | u32 n | utf column*n
 *               | [utf referencedTable (schema.table) | u32 n | utf referencedColumn*n, if FOREIGN KEY]
 * file  = header ("SRCT", format version, object id = seq) | envelope(body), AD = Bindings.catalog
 * file (v5) = header | u32 heldLength | held deltas ({@link ManifestDelta.Held}) | envelope(body)
 * </pre>
 *
 * A catalog none of whose columns is NOT NULL or has a DEFAULT is written as version 1, byte for byte what
 * builds before version 2 wrote; version 2 only adds the per-column flags byte and the default. Version 3 (a
 * table has a constraint) adds the constraint list at the end of every table entry and keeps version 2's column
 * layout. Version 4 (a table's manifest is a base with deltas, {@link ManifestDelta}) adds the chain fields at the
 * end of every table entry; then {@code manifestVersion} and the manifest digest name the newest delta, and the
 * base is the manifest file of {@code baseVersion} (none for base version 0, an empty table). Version 5 (a table's
 * deltas are held in catalog files, not files of their own) adds {@code deltaSeq}, the catalog holding the newest
 * delta; the file then also carries the deltas its commit made, before its envelope (which is cut off once a newer
 * catalog is current, {@link StoreFiles#cutToHeldDeltas}). Immutable.
 */
public record Catalog(long seq, long nextTableId, long nextBlockId, List<Entry> tables) {
    public Catalog {
        tables = List.copyOf(tables);
    }

    /**
     * A table in the catalog.
     *
     * @param manifestVersion the table's manifest version: of its newest delta, or of its base when it has none
     * @param manifestDigest SHA-256 of the file of {@code manifestVersion} (the newest delta's, or the base's);
     *     empty when the table has no manifest yet
     * @param baseVersion the version of the manifest file the deltas apply to ({@code manifestVersion} without
     *     deltas; 0 when the deltas apply to the empty manifest of a new table)
     * @param baseDigest SHA-256 of the base's file (empty for base version 0)
     * @param deltaCount how many deltas follow the base: files 1..deltaCount of {@link StoreFiles#manifestDeltaFile}
     * @param deltaBytes the deltas' file sizes added up (what decides when they are folded into a new base)
     */
    public record Entry(
            long tableId,
            TableSpec spec,
            int nextColumnId,
            long manifestVersion,
            byte[] manifestDigest,
            long liveRows,
            long baseVersion,
            byte[] baseDigest,
            int deltaCount,
            long deltaBytes,
            long deltaSeq) {
        public Entry {
            if (deltaCount < 0 || deltaCount > ManifestDelta.MAX_DELTAS || deltaBytes < 0 || deltaSeq < 0) {
                throw new IllegalArgumentException("bad delta count " + deltaCount + " of table " + tableId);
            }
            if (deltaSeq > 0 && deltaCount == 0) {
                throw new IllegalArgumentException("table " + tableId + " names a delta catalog but no deltas");
            }
            if (deltaCount == 0 ? baseVersion != manifestVersion : baseVersion >= manifestVersion) {
                throw new IllegalArgumentException(
                        "base version " + baseVersion + " with " + deltaCount + " deltas up to " + manifestVersion);
            }
        }

        /** An entry whose manifest is one file (no deltas). */
        public Entry(
                long tableId,
                TableSpec spec,
                int nextColumnId,
                long manifestVersion,
                byte[] manifestDigest,
                long liveRows) {
            this(
                    tableId,
                    spec,
                    nextColumnId,
                    manifestVersion,
                    manifestDigest,
                    liveRows,
                    manifestVersion,
                    manifestDigest,
                    0,
                    0,
                    0);
        }

        /** Whether the manifest is a base with deltas. */
        public boolean hasDeltas() {
            return deltaCount > 0;
        }

        /** Whether the deltas are held in catalog files (catalog version 5), not in {@code .mdl} files. */
        public boolean deltasInCatalogs() {
            return deltaSeq > 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e
                    && e.tableId == tableId
                    && e.manifestVersion == manifestVersion
                    && e.spec.equals(spec);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(tableId);
        }

        @Override
        public String toString() {
            return "table " + tableId + " " + spec.qualifiedName() + " v" + manifestVersion;
        }
    }

    public static Catalog empty() {
        return new Catalog(0, 1, 1, List.of());
    }

    /**
     * The lowest format version that expresses this catalog: 5 if a table's deltas are held in catalog files, else
     * 4 if a table's manifest has deltas, else 3 if a table has a constraint, else 2 if a column is NOT NULL or has
     * a DEFAULT, else 1. A catalog file that holds deltas is version 5 ({@link StoreFiles#encodeCatalog}): the
     * table it holds the newest delta of names it.
     */
    public int formatVersion() {
        for (Entry e : tables) {
            if (e.deltasInCatalogs()) {
                return 5;
            }
        }
        for (Entry e : tables) {
            if (e.hasDeltas()) {
                return 4;
            }
        }
        for (Entry e : tables) {
            if (!e.spec().constraints().isEmpty()) {
                return 3;
            }
        }
        for (Entry e : tables) {
            for (Column c : e.spec().columns()) {
                if (c.notNull() || c.defaultValue() != null) {
                    return 2;
                }
            }
        }
        return 1;
    }

    private static final int FLAG_NOT_NULL = 1;
    private static final int FLAG_DEFAULT = 2;

    /** The body in {@link #formatVersion()}'s layout. */
    public byte[] encodeBody() {
        int version = formatVersion();
        boolean v2 = version >= 2;
        ByteSink out = new ByteSink(256);
        out.u64(seq).u64(nextTableId).u64(nextBlockId).u32(tables.size());
        for (Entry e : tables) {
            TableSpec s = e.spec();
            out.u64(e.tableId()).utf(s.schema()).utf(s.name()).u8(s.distStyle().id());
            String distKey = s.distKey();
            out.utf(distKey == null ? "" : distKey);
            out.u32(s.sortKey().size());
            s.sortKey().forEach(out::utf);
            out.u8(s.backup() ? 1 : 0).u32(e.nextColumnId()).u32(s.columns().size());
            for (Column c : s.columns()) {
                out.u32(c.id())
                        .utf(c.name())
                        .u8(c.type().kind().id())
                        .u16(c.type().precision())
                        .u16(c.type().scale())
                        .u32(c.type().length());
                if (v2) {
                    @Nullable Object d = c.defaultValue();
                    out.u8((c.notNull() ? FLAG_NOT_NULL : 0) | (d != null ? FLAG_DEFAULT : 0));
                    if (d != null) {
                        out.blob(ColumnFill.encodeValue(c.type(), d));
                    }
                }
            }
            out.u64(e.manifestVersion());
            byte[] d = e.manifestDigest();
            out.u8(d.length).bytes(d);
            out.u64(e.liveRows());
            if (version >= 3) {
                out.u32(s.constraints().size());
                for (TableConstraint c : s.constraints()) {
                    out.u8(c.kind().id()).utf(c.name()).u32(c.columns().size());
                    c.columns().forEach(out::utf);
                    String ref = c.referencedTable();
                    if (ref != null) {
                        out.utf(ref).u32(c.referencedColumns().size());
                        c.referencedColumns().forEach(out::utf);
                    }
                }
            }
            if (version >= 4) {
                out.u32(e.deltaCount());
                if (e.hasDeltas()) {
                    out.u64(e.baseVersion()).u8(e.baseDigest().length).bytes(e.baseDigest());
                    out.u64(e.deltaBytes());
                    if (version >= 5) {
                        out.u64(e.deltaSeq());
                    }
                }
            }
        }
        return out.toByteArray();
    }

    /** At most this many constraints per table; more in a file is corruption. */
    private static final int MAX_CONSTRAINTS = 10_000;

    private static TableConstraint constraint(ByteSource in) {
        int kindId = in.u8();
        if (kindId < 1 || kindId > 3) {
            throw in.corrupt("unknown constraint kind " + kindId);
        }
        TableConstraint.Kind kind = TableConstraint.Kind.fromId(kindId);
        String name = in.utf();
        List<String> columns = names(in);
        if (kind != TableConstraint.Kind.FOREIGN_KEY) {
            return new TableConstraint(name, kind, columns, null, List.of());
        }
        String ref = in.utf();
        return new TableConstraint(name, kind, columns, ref, names(in));
    }

    private static List<String> names(ByteSource in) {
        int n = in.count(TableSpec.MAX_COLUMNS, "constraint column count");
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(in.utf());
        }
        return out;
    }

    /** Decodes a body of format version {@code formatVersion} (from the file header, which the AD covers). */
    public static Catalog decodeBody(byte[] body, int formatVersion, String place) {
        ByteSource in = new ByteSource(body, place);
        long seq = in.u64();
        long nextTable = in.u64();
        long nextBlock = in.u64();
        int n = in.count(1 << 20, "table count");
        List<Entry> tables = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long id = in.u64();
            String schema = in.utf();
            String name = in.utf();
            DistStyle dist = DistStyle.fromId(in.u8());
            String distKey = in.utf();
            int sk = in.count(TableSpec.MAX_COLUMNS, "sort key count");
            List<String> sortKey = new ArrayList<>();
            for (int j = 0; j < sk; j++) {
                sortKey.add(in.utf());
            }
            boolean backup = in.u8() == 1;
            int nextColumnId = in.count(Integer.MAX_VALUE, "next column id");
            int nc = in.count(TableSpec.MAX_COLUMNS, "column count");
            List<Column> cols = new ArrayList<>();
            for (int j = 0; j < nc; j++) {
                int cid = in.count(Integer.MAX_VALUE, "column id");
                String cname = in.utf();
                ColumnType.Kind kind = ColumnType.Kind.fromId(in.u8());
                ColumnType type = new ColumnType(kind, in.u16(), in.u16(), in.u32());
                boolean notNull = false;
                @Nullable Object dflt = null;
                if (formatVersion >= 2) {
                    int flags = in.u8();
                    if ((flags & ~(FLAG_NOT_NULL | FLAG_DEFAULT)) != 0) {
                        throw in.corrupt("unknown column flags " + flags);
                    }
                    notNull = (flags & FLAG_NOT_NULL) != 0;
                    if ((flags & FLAG_DEFAULT) != 0) {
                        dflt = ColumnChunkCodec.decode(in.blob(ColumnFill.MAX_VALUE_BYTES), type, 1, place)
                                .get(0);
                        if (dflt == null) {
                            throw in.corrupt("column " + cid + " has a NULL DEFAULT flagged as a value");
                        }
                    }
                }
                cols.add(new Column(cid, cname, type, notNull, dflt));
            }
            long mv = in.u64();
            int dl = in.u8();
            if (dl != 0 && dl != 32) {
                throw in.corrupt("manifest digest length " + dl);
            }
            byte[] digest = in.bytes(dl);
            long live = in.u64();
            List<TableConstraint> constraints = new ArrayList<>();
            if (formatVersion >= 3) {
                int count = in.count(MAX_CONSTRAINTS, "constraint count");
                for (int j = 0; j < count; j++) {
                    constraints.add(constraint(in));
                }
            }
            TableSpec spec = new TableSpec(
                    schema, name, cols, dist, distKey.isEmpty() ? null : distKey, sortKey, backup, constraints);
            int deltas = formatVersion >= 4 ? in.count(ManifestDelta.MAX_DELTAS, "manifest delta count") : 0;
            if (deltas == 0) {
                tables.add(new Entry(id, spec, nextColumnId, mv, digest, live));
                continue;
            }
            long baseVersion = in.u64();
            int bl = in.u8();
            if ((bl != 0 && bl != 32) || (bl == 0) != (baseVersion == 0)) {
                throw in.corrupt("base manifest digest length " + bl + " for base version " + baseVersion);
            }
            byte[] baseDigest = in.bytes(bl);
            long deltaBytes = in.u64();
            long deltaSeq = formatVersion >= 5 ? in.u64() : 0;
            if (baseVersion >= mv || dl != 32 || deltaBytes < 0 || deltaSeq < 0 || deltaSeq > seq) {
                throw in.corrupt("manifest deltas of table " + id + " do not follow their base");
            }
            tables.add(new Entry(
                    id, spec, nextColumnId, mv, digest, live, baseVersion, baseDigest, deltas, deltaBytes, deltaSeq));
        }
        in.expectEnd();
        return new Catalog(seq, nextTable, nextBlock, tables);
    }
}
