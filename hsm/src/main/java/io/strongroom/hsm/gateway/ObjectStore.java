package io.strongroom.hsm.gateway;

import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.kmip.State;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The per-partition store of KMIP metadata ({@code partitions/<label>/objects}), kept whole in memory and
 * rewritten whole on each change through {@link DurableFile#replace} (its few hundred bytes per key make that cheap).
 *
 * <p>Format ({@code docs/format/hsm-gateway.md}), UTF-8 lines:
 *
 * <pre>
 *   strongroom-hsm-objects 1
 *   key &lt;uid&gt; &lt;state&gt; &lt;usage mask&gt; &lt;length bits&gt; &lt;initial&gt; &lt;activation&gt; &lt;deactivation&gt;
 *       &lt;compromise&gt; &lt;last change&gt; &lt;name&gt; &lt;object group&gt;       (one line; dates in POSIX seconds, -1 unset;
 *                                                        name and group base64url of UTF-8, "-" when unset)
 *   crc32 &lt;hex of the CRC-32 of every byte before this line&gt;
 * </pre>
 *
 * <p>Not thread-safe: its {@link Partition} serializes access.
 */
final class ObjectStore {
    static final String FILE = "objects";
    private static final String MAGIC = "strongroom-hsm-objects 1";

    private final Path file;
    private final Map<String, ManagedKey> keys = new LinkedHashMap<>();

    private ObjectStore(Path file) {
        this.file = file;
    }

    static ObjectStore open(Path partitionDir) {
        ObjectStore s = new ObjectStore(partitionDir.resolve(FILE));
        if (Files.exists(s.file)) {
            try {
                s.parse(Files.readString(s.file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + s.file + ": " + e, e);
            }
        }
        return s;
    }

    @Nullable
    ManagedKey get(String uid) {
        return keys.get(uid);
    }

    Collection<ManagedKey> all() {
        return keys.values();
    }

    /** Stores {@code key} (new or changed) durably; on failure the in-memory state is left as before. */
    void put(ManagedKey key) {
        ManagedKey old = keys.put(key.uid(), key);
        try {
            save();
        } catch (RuntimeException e) {
            if (old == null) {
                keys.remove(key.uid());
            } else {
                keys.put(key.uid(), old);
            }
            throw e;
        }
    }

    /** Forgets {@code uid} durably. */
    void remove(String uid) {
        ManagedKey old = keys.remove(uid);
        try {
            save();
        } catch (RuntimeException e) {
            if (old != null) {
                keys.put(uid, old);
            }
            throw e;
        }
    }

    private void save() {
        StringBuilder sb = new StringBuilder(MAGIC).append('\n');
        for (ManagedKey k : keys.values()) {
            sb.append("key ")
                    .append(k.uid())
                    .append(' ')
                    .append(k.state().code())
                    .append(' ')
                    .append(k.usageMask())
                    .append(' ')
                    .append(k.lengthBits())
                    .append(' ')
                    .append(k.initialDate())
                    .append(' ')
                    .append(k.activationDate())
                    .append(' ')
                    .append(k.deactivationDate())
                    .append(' ')
                    .append(k.compromiseDate())
                    .append(' ')
                    .append(k.lastChangeDate())
                    .append(' ')
                    .append(text(k.name()))
                    .append(' ')
                    .append(text(k.objectGroup()))
                    .append('\n');
        }
        String body = sb.toString();
        try {
            DurableFile.replace(file, (body + "crc32 " + Registry.crc(body) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot write " + file + ": " + e, e);
        }
    }

    private void parse(String text) {
        int at = text.lastIndexOf("crc32 ");
        if (!text.startsWith(MAGIC + "\n")
                || at < 0
                || !text.substring(at).strip().equals("crc32 " + Registry.crc(text.substring(0, at)))) {
            throw corrupt("bad header or checksum");
        }
        for (String line : text.substring(MAGIC.length() + 1, at).split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(" ", -1);
            if (f.length != 12 || !f[0].equals("key")) {
                throw corrupt("unreadable line");
            }
            try {
                State state = State.ofCode(Integer.parseInt(f[2]));
                if (state == null) {
                    throw corrupt("unknown state " + f[2] + " of key " + f[1]);
                }
                keys.put(
                        f[1],
                        new ManagedKey(
                                f[1],
                                state,
                                Integer.parseInt(f[3]),
                                Integer.parseInt(f[4]),
                                Long.parseLong(f[5]),
                                Long.parseLong(f[6]),
                                Long.parseLong(f[7]),
                                Long.parseLong(f[8]),
                                Long.parseLong(f[9]),
                                untext(f[10]),
                                untext(f[11])));
            } catch (IllegalArgumentException e) {
                throw corrupt("unreadable number or name in key " + f[1]);
            }
        }
    }

    private StrongroomException corrupt(String why) {
        return new StrongroomException(
                ErrorCode.INTEGRITY_FAILURE,
                file + " is damaged (" + why + "); restore it from a backup: the token keys are intact, but their"
                        + " KMIP names and states are kept only here");
    }

    private static String text(@Nullable String s) {
        return s == null
                ? "-"
                : Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static @Nullable String untext(String s) {
        return s.equals("-") ? null : new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
    }
}
