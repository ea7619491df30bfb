package io.strongroom.hsm.gateway;

import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.ClientCertificates;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's registry ({@code registry} in the gateway directory): the partitions, the registered client
 * certificates and which client may use which partition. Format ({@code docs/format/hsm-gateway.md}): UTF-8 lines
 *
 * <pre>
 *   strongroom-hsm-registry 1
 *   partition &lt;label&gt;
 *   client &lt;name&gt; &lt;base64 DER certificate&gt;
 *   assign &lt;client name&gt; &lt;label&gt;
 *   crc32 &lt;hex of the CRC-32 of every byte before this line&gt;
 * </pre>
 *
 * <p>An immutable value. {@link #update} changes the file under an exclusive lock on {@code registry.lock}
 * (read, change, write durably), so concurrent commands and a running gateway never lose each other's changes; a
 * running gateway reads the file again whenever its modification time or size changes, so registrations take
 * effect without a restart.
 */
record Registry(List<String> partitions, Map<String, X509Certificate> clients, Map<String, Set<String>> assignments) {
    static final String FILE = "registry";
    private static final String MAGIC = "strongroom-hsm-registry 1";
    /** Partition labels: what PKCS#11 allows in a 32-byte token label, limited to a safe file-name alphabet. */
    static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,31}");
    /** Client names. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Serializes {@link #update} among this process's threads (whatever the directory). */
    static final ReentrantLock LOCK = new ReentrantLock();

    Registry {
        partitions = List.copyOf(partitions);
        clients = Map.copyOf(clients);
        Map<String, Set<String>> a = new LinkedHashMap<>();
        assignments.forEach((k, v) -> a.put(k, Set.copyOf(v)));
        assignments = Map.copyOf(a);
    }

    static Registry empty() {
        return new Registry(List.of(), Map.of(), Map.of());
    }

    /** The name of the registered client whose certificate is exactly {@code cert}, or null. */
    @Nullable
    String clientOf(X509Certificate cert) {
        for (Map.Entry<String, X509Certificate> e : clients.entrySet()) {
            if (e.getValue().equals(cert)) {
                return e.getKey();
            }
        }
        return null;
    }

    boolean assigned(String client, String partition) {
        return assignments.getOrDefault(client, Set.of()).contains(partition);
    }

    Registry withPartition(String label) {
        requireLabel(label);
        if (partitions.contains(label)) {
            throw new StrongroomException(ErrorCode.ALREADY_EXISTS, "partition " + label + " exists already");
        }
        List<String> p = new ArrayList<>(partitions);
        p.add(label);
        return new Registry(p, clients, assignments);
    }

    Registry withClient(String name, X509Certificate cert) {
        if (!NAME.matcher(name).matches()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "client names are 1 to 64 of A-Z a-z 0-9 . _ - : " + name);
        }
        if (clients.containsKey(name)) {
            throw new StrongroomException(
                    ErrorCode.ALREADY_EXISTS, "client " + name + " is registered already; revoke it first");
        }
        String other = clientOf(cert);
        if (other != null) {
            throw new StrongroomException(
                    ErrorCode.ALREADY_EXISTS, "this certificate is registered already, as client " + other);
        }
        Map<String, X509Certificate> c = new LinkedHashMap<>(clients);
        c.put(name, cert);
        return new Registry(partitions, c, assignments);
    }

    Registry withAssignment(String name, String label) {
        requireClient(name);
        requirePartition(label);
        Map<String, Set<String>> a = new LinkedHashMap<>(assignments);
        Set<String> s = new LinkedHashSet<>(a.getOrDefault(name, Set.of()));
        s.add(label);
        a.put(name, s);
        return new Registry(partitions, clients, a);
    }

    /** Without client {@code name}'s access to {@code label}, or, when {@code label} is null, without the client. */
    Registry withoutClient(String name, @Nullable String label) {
        requireClient(name);
        Map<String, Set<String>> a = new LinkedHashMap<>(assignments);
        if (label != null) {
            Set<String> s = new LinkedHashSet<>(a.getOrDefault(name, Set.of()));
            if (!s.remove(label)) {
                throw new StrongroomException(
                        ErrorCode.NOT_FOUND, "client " + name + " is not assigned to partition " + label);
            }
            a.put(name, s);
            return new Registry(partitions, clients, a);
        }
        a.remove(name);
        Map<String, X509Certificate> c = new LinkedHashMap<>(clients);
        c.remove(name);
        return new Registry(partitions, c, a);
    }

    void requirePartition(String label) {
        if (!partitions.contains(label)) {
            throw new StrongroomException(
                    ErrorCode.NOT_FOUND,
                    "no partition " + label + "; create it with `strongroom hsm partition create`");
        }
    }

    private void requireClient(String name) {
        if (!clients.containsKey(name)) {
            throw new StrongroomException(
                    ErrorCode.NOT_FOUND, "no client " + name + "; register it with `strongroom hsm client register`");
        }
    }

    static void requireLabel(String label) {
        if (!LABEL.matcher(label).matches()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "partition labels are 1 to 32 of A-Z a-z 0-9 . _ - (starting with a letter or digit): " + label);
        }
    }

    // ---------------------------------------------------------------- file

    static Registry load(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return empty();
        }
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Applies {@code change} to the current registry under the registry lock, writes it durably, returns it. When
     * {@code change} throws, nothing is written. {@code change} may do slow work that must not race another update
     * (partition create initialises the token inside it); it must not call {@code update} itself.
     *
     * <p>The lock is {@link #LOCK} for the threads of this process, then an exclusive lock on {@code registry.lock}
     * for other processes: a file lock is held by the whole JVM, so a second thread taking it would get
     * OverlappingFileLockException instead of waiting.
     */
    static Registry update(Path dir, UnaryOperator<Registry> change) {
        LOCK.lock();
        try {
            Files.createDirectories(dir);
            try (FileChannel lock = FileChannel.open(
                            dir.resolve("registry.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = lock.lock()) {
                Registry next = change.apply(load(dir));
                DurableFile.replace(dir.resolve(FILE), next.format().getBytes(StandardCharsets.UTF_8));
                return next;
            }
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot update " + dir.resolve(FILE) + ": " + e, e);
        } finally {
            LOCK.unlock();
        }
    }

    String format() {
        StringBuilder sb = new StringBuilder(MAGIC).append('\n');
        for (String p : partitions) {
            sb.append("partition ").append(p).append('\n');
        }
        clients.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            try {
                sb.append("client ")
                        .append(e.getKey())
                        .append(' ')
                        .append(Base64.getEncoder().encodeToString(e.getValue().getEncoded()))
                        .append('\n');
            } catch (CertificateEncodingException ex) {
                throw new StrongroomException(ErrorCode.INTERNAL, "cannot encode client " + e.getKey(), ex);
            }
        });
        assignments.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> e.getValue().stream()
                        .sorted()
                        .forEach(l -> sb.append("assign ")
                                .append(e.getKey())
                                .append(' ')
                                .append(l)
                                .append('\n')));
        return sb + "crc32 " + crc(sb.toString()) + "\n";
    }

    static Registry parse(String text, Path file) {
        int at = text.lastIndexOf("crc32 ");
        if (!text.startsWith(MAGIC + "\n")
                || at < 0
                || !text.substring(at).strip().equals("crc32 " + crc(text.substring(0, at)))) {
            throw corrupt(file, "bad header or checksum");
        }
        Registry r = empty();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (String line : text.substring(MAGIC.length() + 1, at).split("\n", -1)) {
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split(" ", -1);
                r = switch (f[0]) {
                    case "partition" -> f.length == 2 ? r.withPartition(f[1]) : null;
                    case "client" ->
                        f.length == 3
                                ? r.withClient(f[1], (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(
                                        Base64.getDecoder().decode(f[2]))))
                                : null;
                    case "assign" -> f.length == 3 ? r.withAssignment(f[1], f[2]) : null;
                    default -> null;
                };
                if (r == null) {
                    throw corrupt(file, "unreadable line starting " + f[0]);
                }
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw corrupt(file, "a client certificate does not parse");
        }
        return r;
    }

    private static StrongroomException corrupt(Path file, String why) {
        return new StrongroomException(
                ErrorCode.INTEGRITY_FAILURE,
                file + " is damaged (" + why + "); restore it from a backup or rebuild it with `strongroom hsm"
                        + " partition create --existing` and `client register`/`assign`");
    }

    static String crc(String s) {
        CRC32 c = new CRC32();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return String.format(Locale.ROOT, "%08x", c.getValue());
    }

    /** A line per client for listings: name, SHA-256 fingerprint, subject, partitions. */
    String describeClient(String name) {
        X509Certificate c = clients.get(name);
        if (c == null) {
            return name + " (unknown)";
        }
        return name + "  sha256:" + ClientCertificates.fingerprint(c) + "  "
                + c.getSubjectX500Principal().getName() + "  partitions: "
                + String.join(",", assignments.getOrDefault(name, Set.of()));
    }

    /** Caches the registry of a directory, reading it again when the file's time or size changes. */
    static final class Cached {
        private final Path dir;
        private @Nullable Registry current;
        private @Nullable FileTime seenTime;
        private @Nullable Object seenKey;
        private long seenSize = -1;

        Cached(Path dir) {
            this.dir = dir;
        }

        synchronized Registry get() {
            Path file = dir.resolve(FILE);
            try {
                // Each update renames a new file into place, so the file key (inode) changes with every write.
                BasicFileAttributes a =
                        Files.exists(file) ? Files.readAttributes(file, BasicFileAttributes.class) : null;
                FileTime t = a == null ? FileTime.fromMillis(0) : a.lastModifiedTime();
                long size = a == null ? 0 : a.size();
                Object key = a == null ? null : a.fileKey();
                if (current == null || !t.equals(seenTime) || size != seenSize || !Objects.equals(key, seenKey)) {
                    current = load(dir);
                    seenTime = t;
                    seenSize = size;
                    seenKey = key;
                }
                return current;
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read " + file + ": " + e, e);
            }
        }
    }
}
