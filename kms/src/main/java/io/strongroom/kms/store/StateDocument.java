package io.strongroom.kms.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTier;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.crypto.SoftwareRootKey;
import io.strongroom.kms.model.Alias;
import io.strongroom.kms.model.Asymmetric;
import io.strongroom.kms.model.Grant;
import io.strongroom.kms.model.KeyMaterial;
import io.strongroom.kms.model.KeyPolicy;
import io.strongroom.kms.model.KeyState;
import io.strongroom.kms.model.KmsKey;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The JSON document {@link KmsStore} seals: every key (metadata, policy, tags, rotation schedule, grants, and
 * each material version sealed again under the master key) and every alias. Instants are epoch milliseconds.
 * docs/format/kms-store.md lists the fields. Stateless.
 */
public final class StateDocument {
    static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private StateDocument() {}

    public static byte[] write(Collection<KmsKey> keys, Collection<Alias> aliases) {
        ObjectNode root = JSON.createObjectNode();
        root.put("formatVersion", FORMAT_VERSION);
        ArrayNode ks = root.putArray("keys");
        for (KmsKey k : keys) {
            ObjectNode o = ks.addObject()
                    .put("keyId", k.keyId)
                    .put("region", k.region)
                    .put("accountId", k.accountId)
                    .put("creationDate", k.creationDate.toEpochMilli())
                    .put("keySpec", k.keySpec)
                    .put("keyUsage", k.keyUsage)
                    .put("keyManager", k.keyManager)
                    .put("description", k.description)
                    .put("state", k.state.wireName())
                    .put("pendingWindowDays", k.pendingWindowDays)
                    .put("policy", k.policy.document())
                    .put("rotationEnabled", k.rotationEnabled)
                    .put("rotationPeriodDays", k.rotationPeriodDays)
                    .put("onDemandRotations", k.onDemandRotations);
            putInstant(o, "deletionDate", k.deletionDate);
            putInstant(o, "nextRotationDate", k.nextRotationDate);
            putInstant(o, "onDemandRotationStartDate", k.onDemandRotationStartDate);
            ObjectNode tags = o.putObject("tags");
            k.tags.forEach(tags::put);
            ArrayNode ms = o.putArray("materials");
            for (KeyMaterial m : k.materials) {
                ObjectNode mo = ms.addObject()
                        .put("version", m.version())
                        .put("materialId", m.materialId())
                        .put("createdAt", m.createdAt().toEpochMilli())
                        .put("rotationType", m.rotationType())
                        .put("sealed", m.sealed());
                PublicKey pub = m.publicKey();
                if (pub != null) {
                    mo.put("publicKey", pub.getEncoded());
                }
            }
            ArrayNode gs = o.putArray("grants");
            for (Grant g : k.grants.values()) {
                ObjectNode go = gs.addObject()
                        .put("grantId", g.grantId())
                        .put("token", g.token())
                        .put("name", g.name())
                        .put("granteePrincipal", g.granteePrincipal())
                        .put("retiringPrincipal", g.retiringPrincipal())
                        .put("issuingAccount", g.issuingAccount())
                        .put("creationDate", g.creationDate().toEpochMilli());
                ArrayNode ops = go.putArray("operations");
                g.operations().forEach(ops::add);
                putMap(go, "contextSubset", g.contextSubset());
                putMap(go, "contextEquals", g.contextEquals());
            }
        }
        ArrayNode as = root.putArray("aliases");
        for (Alias a : aliases) {
            as.addObject()
                    .put("name", a.name())
                    .put("region", a.region())
                    .put("accountId", a.accountId())
                    .put("targetKeyId", a.targetKeyId())
                    .put("creationDate", a.creationDate().toEpochMilli())
                    .put("lastUpdatedDate", a.lastUpdatedDate().toEpochMilli());
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "cannot encode the KMS state", e);
        }
    }

    private static void putInstant(ObjectNode o, String name, @Nullable Instant t) {
        if (t != null) {
            o.put(name, t.toEpochMilli());
        }
    }

    private static void putMap(ObjectNode o, String name, @Nullable Map<String, String> m) {
        if (m != null) {
            ObjectNode n = o.putObject(name);
            m.forEach(n::put);
        }
    }

    public static void read(byte[] doc, KmsStore store, Map<String, KmsKey> keys, Map<String, Alias> aliases) {
        JsonNode root;
        try {
            root = JSON.readTree(doc);
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "KMS store " + store.storeFile() + " authenticates but its document is not JSON",
                    e);
        }
        int version = root.path("formatVersion").asInt(-1);
        if (version != FORMAT_VERSION) {
            throw new StrongroomException(
                    ErrorCode.UNSUPPORTED_FORMAT,
                    "KMS store " + store.storeFile() + " holds state format " + version + "; this build reads "
                            + FORMAT_VERSION);
        }
        try {
            for (JsonNode o : root.path("keys")) {
                KmsKey k = new KmsKey(
                        o.get("keyId").asText(),
                        o.get("region").asText(),
                        o.get("accountId").asText(),
                        Instant.ofEpochMilli(o.get("creationDate").asLong()),
                        o.get("keySpec").asText(),
                        o.get("keyUsage").asText(),
                        o.get("keyManager").asText(),
                        o.get("description").asText(),
                        KeyState.fromWire(o.get("state").asText()),
                        KeyPolicy.parse(o.get("policy").asText()));
                k.pendingWindowDays = o.path("pendingWindowDays").asInt();
                k.rotationEnabled = o.path("rotationEnabled").asBoolean();
                k.rotationPeriodDays = o.path("rotationPeriodDays").asInt(365);
                k.onDemandRotations = o.path("onDemandRotations").asInt();
                k.deletionDate = instant(o, "deletionDate");
                k.nextRotationDate = instant(o, "nextRotationDate");
                k.onDemandRotationStartDate = instant(o, "onDemandRotationStartDate");
                for (Map.Entry<String, JsonNode> t : o.path("tags").properties()) {
                    k.tags.put(t.getKey(), t.getValue().asText());
                }
                for (JsonNode mo : o.path("materials")) {
                    k.addMaterial(material(k, mo, store));
                }
                if (k.materials.isEmpty()) {
                    throw new IllegalStateException("key " + k.arn() + " has no material");
                }
                for (JsonNode go : o.path("grants")) {
                    Grant g = new Grant(
                            go.get("grantId").asText(),
                            go.get("token").asText(),
                            go.path("name").asText(""),
                            k.arn(),
                            go.get("granteePrincipal").asText(),
                            go.hasNonNull("retiringPrincipal")
                                    ? go.get("retiringPrincipal").asText()
                                    : null,
                            stream(go.path("operations")),
                            map(go, "contextSubset"),
                            map(go, "contextEquals"),
                            go.get("issuingAccount").asText(),
                            Instant.ofEpochMilli(go.get("creationDate").asLong()));
                    k.grants.put(g.grantId(), g);
                }
                keys.put(k.keyId, k);
            }
            for (JsonNode a : root.path("aliases")) {
                Alias alias = new Alias(
                        a.get("name").asText(),
                        a.get("region").asText(),
                        a.get("accountId").asText(),
                        a.get("targetKeyId").asText(),
                        Instant.ofEpochMilli(a.get("creationDate").asLong()),
                        Instant.ofEpochMilli(a.get("lastUpdatedDate").asLong()));
                aliases.put(alias.mapKey(), alias);
            }
        } catch (RuntimeException e) {
            if (e instanceof StrongroomException se && se.code().isIntegrity()) {
                throw se;
            }
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE,
                    "KMS store " + store.storeFile() + " authenticates but its content is inconsistent: " + e,
                    e);
        }
    }

    private static KeyMaterial material(KmsKey k, JsonNode mo, KmsStore store) {
        int version = mo.get("version").asInt();
        String materialId = mo.get("materialId").asText();
        Instant created = Instant.ofEpochMilli(mo.get("createdAt").asLong());
        String rotationType =
                mo.hasNonNull("rotationType") ? mo.get("rotationType").asText() : null;
        byte[] sealed = Base64.getDecoder().decode(mo.get("sealed").asText());
        byte[] raw = store.openMaterial(k.arn(), version, sealed);
        try {
            if (k.isSymmetric()) {
                SoftwareRootKey key = SoftwareRootKey.ofMaterial(
                        new KeyInfo(KeyTier.ROOT, k.arn(), version), SecretBytes.copyOf(raw));
                return KeyMaterial.symmetric(version, materialId, created, rotationType, key, sealed);
            }
            KeyFactory f = KeyFactory.getInstance(Asymmetric.jcaAlgorithm(k.keySpec));
            PrivateKey priv = f.generatePrivate(new PKCS8EncodedKeySpec(raw));
            PublicKey pub = f.generatePublic(new X509EncodedKeySpec(
                    Base64.getDecoder().decode(mo.get("publicKey").asText())));
            return KeyMaterial.asymmetric(materialId, created, priv, pub, sealed);
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "KMS store: cannot decode the key pair of " + k.arn(), e);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    private static @Nullable Instant instant(JsonNode o, String name) {
        return o.hasNonNull(name) ? Instant.ofEpochMilli(o.get(name).asLong()) : null;
    }

    private static List<String> stream(JsonNode arr) {
        ArrayList<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static @Nullable SortedMap<String, String> map(JsonNode o, String name) {
        if (!o.hasNonNull(name)) {
            return null;
        }
        SortedMap<String, String> m = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : o.get(name).properties()) {
            m.put(e.getKey(), e.getValue().asText());
        }
        return m;
    }
}
