package io.strongroom.control.hsm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.keyvault.AtomicFile;
import io.strongroom.control.keyvault.JsonFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The durable HSM settings of a control plane ({@code hsm/} in its data directory; docs/format/hsm-settings.md):
 * HSM client certificates, HSM configurations and which cluster uses which. One JSON file per record, written
 * with {@link AtomicFile}. Secrets are stored only sealed under the {@link InternalRootKey}: a client
 * certificate's private key and a partition password; the certificates themselves are public.
 *
 * <p>Thread-safe: the maps are concurrent and each file is replaced atomically; callers serialise changes that
 * must not race (a free identifier) under their own lock.
 */
public final class HsmStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int FORMAT_VERSION = 1;

    /**
     * An HSM client certificate.
     *
     * @param certificatePem the self-signed client certificate, PEM (what the user registers on the HSM)
     * @param sealedKey the PKCS#8 private key sealed under the internal root key (context {@link #keyContext})
     */
    public record Certificate(
            String identifier,
            String accountId,
            String region,
            String certificatePem,
            byte[] sealedKey,
            Map<String, String> tags,
            Instant createTime) {
        public String arn() {
            return "arn:aws:redshift:" + region + ":" + accountId + ":hsmclientcertificate:" + identifier;
        }

        /** The encryption context the private key is sealed with. */
        public Map<String, String> keyContext() {
            return Map.of("strongroom:hsm-client-certificate", arn());
        }

        @Override
        public String toString() {
            return "HsmStore.Certificate[" + arn() + "]";
        }
    }

    /**
     * An HSM configuration: where the HSM is and how to log in to its partition.
     *
     * @param address the HSM's address: a host or IP, optionally {@code :port} (5696, KMIP's port, when absent)
     * @param sealedPassword the partition password sealed under the internal root key (context {@link
     *     #passwordContext})
     * @param serverCertificatePem the HSM's server certificate: the one certificate the cluster trusts
     */
    public record Configuration(
            String identifier,
            String accountId,
            String region,
            String description,
            String address,
            String partition,
            byte[] sealedPassword,
            String serverCertificatePem,
            Map<String, String> tags,
            Instant createTime) {
        public String arn() {
            return "arn:aws:redshift:" + region + ":" + accountId + ":hsmconfiguration:" + identifier;
        }

        public Map<String, String> passwordContext() {
            return Map.of("strongroom:hsm-configuration", arn());
        }

        @Override
        public String toString() {
            return "HsmStore.Configuration[" + arn() + ", " + address + ", partition " + partition + "]";
        }
    }

    /**
     * Which certificate and configuration a cluster uses.
     *
     * @param status {@code active}; {@code applying} while a switch to another configuration is being checked; or
     *     {@code incompatible-hsm} when the HSM could not be used at create and the cluster holds nothing
     */
    public record Binding(
            String clusterId,
            String accountId,
            String region,
            String certificateId,
            String configurationId,
            String status) {
        public Binding withStatus(String next) {
            return new Binding(clusterId, accountId, region, certificateId, configurationId, next);
        }
    }

    private final Path certificatesDir;
    private final Path configurationsDir;
    private final Path bindingsDir;
    private final Map<String, Certificate> certificates = new ConcurrentHashMap<>();
    private final Map<String, Configuration> configurations = new ConcurrentHashMap<>();
    private final Map<String, Binding> bindings = new ConcurrentHashMap<>();

    private HsmStore(Path dir) {
        this.certificatesDir = dir.resolve("certificates");
        this.configurationsDir = dir.resolve("configurations");
        this.bindingsDir = dir.resolve("clusters");
    }

    /** Opens (or starts) the settings under {@code dir}. */
    public static HsmStore open(Path dir) {
        HsmStore s = new HsmStore(dir);
        for (Path p : JsonFiles.list(s.certificatesDir)) {
            JsonNode n = read(p);
            Certificate c = new Certificate(
                    text(n, "identifier", p),
                    text(n, "accountId", p),
                    text(n, "region", p),
                    text(n, "certificatePem", p),
                    Base64.getDecoder().decode(text(n, "sealedKey", p)),
                    tags(n),
                    Instant.parse(text(n, "createTime", p)));
            s.certificates.put(key(c.accountId(), c.region(), c.identifier()), c);
        }
        for (Path p : JsonFiles.list(s.configurationsDir)) {
            JsonNode n = read(p);
            Configuration c = new Configuration(
                    text(n, "identifier", p),
                    text(n, "accountId", p),
                    text(n, "region", p),
                    n.path("description").asText(""),
                    text(n, "address", p),
                    text(n, "partition", p),
                    Base64.getDecoder().decode(text(n, "sealedPassword", p)),
                    text(n, "serverCertificatePem", p),
                    tags(n),
                    Instant.parse(text(n, "createTime", p)));
            s.configurations.put(key(c.accountId(), c.region(), c.identifier()), c);
        }
        for (Path p : JsonFiles.list(s.bindingsDir)) {
            JsonNode n = read(p);
            Binding b = new Binding(
                    text(n, "clusterId", p),
                    text(n, "accountId", p),
                    text(n, "region", p),
                    text(n, "certificateId", p),
                    text(n, "configurationId", p),
                    text(n, "status", p));
            s.bindings.put(b.clusterId(), b);
        }
        return s;
    }

    public Optional<Certificate> certificate(String accountId, String region, String identifier) {
        return Optional.ofNullable(certificates.get(key(accountId, region, identifier)));
    }

    public Collection<Certificate> certificates() {
        return List.copyOf(certificates.values());
    }

    public Optional<Configuration> configuration(String accountId, String region, String identifier) {
        return Optional.ofNullable(configurations.get(key(accountId, region, identifier)));
    }

    public Collection<Configuration> configurations() {
        return List.copyOf(configurations.values());
    }

    public Optional<Binding> binding(String clusterId) {
        return Optional.ofNullable(bindings.get(clusterId));
    }

    public Collection<Binding> bindings() {
        return List.copyOf(bindings.values());
    }

    public void put(Certificate c) {
        ObjectNode n = JSON.createObjectNode()
                .put("formatVersion", FORMAT_VERSION)
                .put("identifier", c.identifier())
                .put("accountId", c.accountId())
                .put("region", c.region())
                .put("certificatePem", c.certificatePem())
                .put("sealedKey", Base64.getEncoder().encodeToString(c.sealedKey()))
                .put("createTime", c.createTime().toString());
        putTags(n, c.tags());
        JsonFiles.write(certificatesDir, fileName(key(c.accountId(), c.region(), c.identifier())), n);
        certificates.put(key(c.accountId(), c.region(), c.identifier()), c);
    }

    public void put(Configuration c) {
        ObjectNode n = JSON.createObjectNode()
                .put("formatVersion", FORMAT_VERSION)
                .put("identifier", c.identifier())
                .put("accountId", c.accountId())
                .put("region", c.region())
                .put("description", c.description())
                .put("address", c.address())
                .put("partition", c.partition())
                .put("sealedPassword", Base64.getEncoder().encodeToString(c.sealedPassword()))
                .put("serverCertificatePem", c.serverCertificatePem())
                .put("createTime", c.createTime().toString());
        putTags(n, c.tags());
        JsonFiles.write(configurationsDir, fileName(key(c.accountId(), c.region(), c.identifier())), n);
        configurations.put(key(c.accountId(), c.region(), c.identifier()), c);
    }

    public void put(Binding b) {
        ObjectNode n = JSON.createObjectNode()
                .put("formatVersion", FORMAT_VERSION)
                .put("clusterId", b.clusterId())
                .put("accountId", b.accountId())
                .put("region", b.region())
                .put("certificateId", b.certificateId())
                .put("configurationId", b.configurationId())
                .put("status", b.status());
        JsonFiles.write(bindingsDir, b.clusterId(), n);
        bindings.put(b.clusterId(), b);
    }

    public void removeCertificate(Certificate c) {
        String k = key(c.accountId(), c.region(), c.identifier());
        AtomicFile.delete(certificatesDir.resolve(fileName(k) + ".json"));
        certificates.remove(k);
    }

    public void removeConfiguration(Configuration c) {
        String k = key(c.accountId(), c.region(), c.identifier());
        AtomicFile.delete(configurationsDir.resolve(fileName(k) + ".json"));
        configurations.remove(k);
    }

    public void removeBinding(String clusterId) {
        AtomicFile.delete(bindingsDir.resolve(clusterId + ".json"));
        bindings.remove(clusterId);
    }

    private static String key(String accountId, String region, String identifier) {
        return accountId + "/" + region + "/" + identifier;
    }

    private static String fileName(String key) {
        return HexFormat.of().formatHex(key.getBytes(StandardCharsets.UTF_8));
    }

    private static void putTags(ObjectNode n, Map<String, String> tags) {
        ObjectNode t = n.putObject("tags");
        tags.forEach(t::put);
    }

    private static Map<String, String> tags(JsonNode n) {
        Map<String, String> tags = new LinkedHashMap<>();
        n.path("tags")
                .properties()
                .forEach(e -> tags.put(e.getKey(), e.getValue().asText()));
        return tags;
    }

    private static JsonNode read(Path p) {
        JsonNode n = JsonFiles.readObject(p);
        int v = n.path("formatVersion").asInt(-1);
        if (v != FORMAT_VERSION) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT,
                    p + " has format version " + v + "; this build reads " + FORMAT_VERSION);
        }
        return n;
    }

    private static String text(JsonNode n, String field, Path p) {
        @Nullable JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, p + " has no " + field);
        }
        return v.asText();
    }

    @Override
    public String toString() {
        return "HsmStore[" + certificates.size() + " certificates, " + configurations.size() + " configurations, "
                + bindings.size() + " clusters]";
    }
}
