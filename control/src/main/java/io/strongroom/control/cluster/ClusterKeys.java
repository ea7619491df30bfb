package io.strongroom.control.cluster;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.hsm.HsmAccess;
import io.strongroom.control.hsm.HsmClusterKey;
import io.strongroom.control.hsm.HsmStore;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.crypto.ClusterKey;
import io.strongroom.crypto.DataKey;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.KeyInfo;
import io.strongroom.crypto.KeyTransfer;
import io.strongroom.crypto.SecretBytes;
import io.strongroom.hsm.client.CreatedKey;
import io.strongroom.hsm.client.HsmEndpoint;
import io.strongroom.hsm.client.KmipClient;
import io.strongroom.hsm.client.KmipException;
import io.strongroom.kms.KmsRootKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.GrantListEntry;
import software.amazon.awssdk.services.kms.model.GrantOperation;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * The KMS side of a cluster's keys (DESIGN §2, KMS path).
 *
 * <p>How creation works: as the calling principal, DescribeKey the requested key (the account's {@code
 * alias/aws/redshift} when none is named; the KMS creates it on first use) and refuse anything that cannot be a
 * root key, with the Redshift error a client would get; then CreateGrant, still as the caller, giving the control
 * plane's service principal Decrypt, GenerateDataKey and RetireGrant on the key, constrained to this cluster's
 * ARN in the encryption context, and retirable by the service principal. Then, as the service principal,
 * GenerateDataKey AES_256 with the context {@code {"aws:redshift:arn": <cluster ARN>, "aws:redshift:createtime":
 * <yyyyMMdd'T'HHmm'Z'>}}: that data key is the CEK. A random DEK is wrapped by the CEK. The vault entry records
 * the wrapped CEK, its context, the key ARN, the grant id and the wrapped DEK. Only the service principal's grant
 * is used afterwards, so revoking it stops the cluster from coming up.
 *
 * <p>How unlocking (every reboot and start) works: Decrypt the wrapped CEK with the stored context (never a new
 * one: a rename keeps the original ARN in it), unwrap the DEK with the CEK.
 *
 * <p>Thread-safe.
 */
public final class ClusterKeys {
    public static final String ARN_CONTEXT = "aws:redshift:arn";
    static final String CREATETIME_CONTEXT = "aws:redshift:createtime";
    static final String DEFAULT_KEY = "alias/aws/redshift";
    private static final DateTimeFormatter CREATETIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmm'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final KmsAccess kms;
    private final HsmAccess hsm;
    private final SecureRandom random;

    ClusterKeys(KmsAccess kms, HsmAccess hsm, SecureRandom random) {
        this.kms = kms;
        this.hsm = hsm;
        this.random = random;
    }

    /** Plaintext keys of a cluster: its CEK and DEK. Closing zeroes both unless they were handed on. */
    public static final class Unlocked implements AutoCloseable {
        public final ClusterKey cek;
        public final DatabaseKey dek;

        Unlocked(ClusterKey cek, DatabaseKey dek) {
            this.cek = cek;
            this.dek = dek;
        }

        @Override
        public void close() {
            dek.close();
            cek.close();
        }
    }

    /** A created key set: the vault entry to store and the plaintext keys to run with. */
    /**
     * A created key set: the vault entry to store and the plaintext keys to run with; {@code hsmKeySensitive} is
     * false only when an HSM refused the Sensitive attribute for the CEK it made (so it does not promise the key is
     * non-extractable).
     */
    public record Created(VaultEntry entry, Unlocked keys, boolean hsmKeySensitive) {
        Created(VaultEntry entry, Unlocked keys) {
            this(entry, keys, true);
        }
    }

    /** The key ARN {@code requestedKey} (or the default key) resolves to, after checking it can be a root key. */
    public String resolveRootKey(Credential caller, String region, @Nullable String requestedKey) {
        String keyId = requestedKey == null ? DEFAULT_KEY : requestedKey;
        KmsClient user = kms.asCaller(caller, region);
        KeyMetadata m;
        try {
            m = user.describeKey(r -> r.keyId(keyId)).keyMetadata();
        } catch (SdkException e) {
            throw refusal(e, keyId, caller, region);
        }
        checkUsable(m);
        return m.arn();
    }

    private static void checkUsable(KeyMetadata m) {
        if (m.keySpec() != KeySpec.SYMMETRIC_DEFAULT || m.keyUsage() != KeyUsageType.ENCRYPT_DECRYPT) {
            throw RedshiftApiException.invalidParameter("KMS key " + m.arn() + " is " + m.keySpecAsString() + " / "
                    + m.keyUsageAsString() + ". Amazon Redshift supports only symmetric encryption keys"
                    + " (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT); choose a symmetric key.");
        }
        if (m.keyState() == KeyState.PENDING_DELETION) {
            throw RedshiftApiException.invalidParameter("KMS key " + m.arn() + " is pending deletion and cannot"
                    + " protect a cluster. Cancel the deletion and enable the key, or choose another key.");
        }
        if (m.keyState() != KeyState.ENABLED) {
            throw RedshiftApiException.invalidParameter("KMS key " + m.arn() + " is " + m.keyStateAsString()
                    + " and cannot protect a cluster. Enable the key (kms enable-key) or choose another key.");
        }
    }

    /**
     * Creates the keys of a new cluster under {@code keyArn} (already resolved). On failure after the grant was
     * made, the grant is retired again; nothing is left behind.
     */
    public Created create(
            Credential caller, String region, String keyArn, String clusterId, String clusterArn, Instant createTime) {
        String grantId = grantToService(caller, region, keyArn, clusterArn, "redshift-" + clusterId, CLUSTER_GRANT);
        try {
            EncryptionContext context = EncryptionContext.of(
                    Map.of(ARN_CONTEXT, clusterArn, CREATETIME_CONTEXT, CREATETIME.format(createTime)));
            KmsRootKey root = KmsRootKey.ofArn(kms.asService(region), keyArn);
            ClusterKey cek;
            VaultEntry entry;
            DatabaseKey dek = DatabaseKey.generate(VaultEntry.dekInfo(clusterId, 1), random);
            try (DataKey dataKey = root.generateDataKey(context)) {
                cek = ClusterKey.ofDataKey(VaultEntry.cekInfo(clusterId, 1), dataKey);
                entry = new VaultEntry(
                        clusterId,
                        keyArn,
                        grantId,
                        context,
                        1,
                        dataKey.wrapped(),
                        1,
                        cek.wrap(dek, clusterId),
                        createTime);
            } catch (RuntimeException e) {
                dek.close();
                throw e;
            }
            return new Created(entry, new Unlocked(cek, dek));
        } catch (RuntimeException e) {
            retireGrant(region, keyArn, grantId);
            throw e instanceof StrongroomException s ? RedshiftApiException.from(s) : e;
        }
    }

    /**
     * New keys for a key rotation of the cluster whose vault entry is {@code current}: a new CEK from KMS
     * GenerateDataKey under the same root key, as the service principal (the cluster's grant allows it), with the
     * cluster's frozen encryption context, and a new random DEK wrapped by it. The entry returned keeps the root
     * key, grant and context and carries the new versions; nothing is stored here.
     */
    public Created rotate(VaultEntry current, String region, int cekVersion, int dekVersion, Instant now) {
        if (current.hsmProtected()) {
            return rotateHsm(current, region, cekVersion, dekVersion, now);
        }
        KmsRootKey root = KmsRootKey.ofArn(kms.asService(region), current.rootKeyArn());
        String clusterId = current.clusterId();
        DatabaseKey dek = DatabaseKey.generate(VaultEntry.dekInfo(clusterId, dekVersion), random);
        try (DataKey dataKey = root.generateDataKey(current.context())) {
            ClusterKey cek = ClusterKey.ofDataKey(VaultEntry.cekInfo(clusterId, cekVersion), dataKey);
            VaultEntry entry = new VaultEntry(
                    clusterId,
                    current.rootKeyArn(),
                    current.grantId(),
                    current.context(),
                    cekVersion,
                    dataKey.wrapped(),
                    dekVersion,
                    cek.wrap(dek, clusterId),
                    now);
            return new Created(entry, new Unlocked(cek, dek));
        } catch (RuntimeException e) {
            dek.close();
            throw e;
        }
    }

    /** A new vault entry under another root key, and the new CEK it wraps the unchanged DEK with. */
    public record Moved(VaultEntry entry, ClusterKey cek) {}

    /**
     * Moves a cluster to root key {@code newKeyArn} (already resolved as the caller) without touching its data: as
     * the caller, a grant on the new key for the service principal like the one CreateCluster makes (named {@code
     * grantName}, so a restart can find it); then, as the service principal, a new CEK from GenerateDataKey under the
     * new key with the cluster's frozen encryption context, which wraps the cluster's unchanged DEK. Nothing is
     * stored here; on a failure after the grant was made, it is retired.
     */
    public Moved changeRootKey(
            Credential caller,
            String region,
            VaultEntry current,
            String newKeyArn,
            DatabaseKey dek,
            String grantName,
            Instant now) {
        String clusterArn = current.context().pairs().get(ARN_CONTEXT);
        String grantId = grantToService(
                caller, region, newKeyArn, clusterArn == null ? "" : clusterArn, grantName, CLUSTER_GRANT);
        try {
            KmsRootKey root = KmsRootKey.ofArn(kms.asService(region), newKeyArn);
            int cekVersion = current.cekVersion() + 1;
            try (DataKey dataKey = root.generateDataKey(current.context())) {
                ClusterKey cek = ClusterKey.ofDataKey(VaultEntry.cekInfo(current.clusterId(), cekVersion), dataKey);
                VaultEntry entry = new VaultEntry(
                        current.clusterId(),
                        newKeyArn,
                        grantId,
                        current.context(),
                        cekVersion,
                        dataKey.wrapped(),
                        current.dekVersion(),
                        cek.wrap(dek, current.clusterId()),
                        now);
                return new Moved(entry, cek);
            }
        } catch (RuntimeException e) {
            retireGrant(region, newKeyArn, grantId);
            throw e instanceof StrongroomException s ? RedshiftApiException.from(s) : e;
        }
    }

    /**
     * Re-validates a KMS cluster's CEK: Decrypt of its wrapped CEK with the stored context, as the service
     * principal, through the cluster's grant; the plaintext is zeroed at once. Throws what the KMS said
     * (ACCESS_DENIED or WRONG_KEY: the key or grant was taken away; KEY_UNAVAILABLE: the KMS is down or throttling).
     */
    public void revalidate(VaultEntry e, String region) {
        KmsRootKey root = KmsRootKey.ofArn(kms.asService(region), e.rootKeyArn());
        root.decrypt(e.wrappedCek(), e.context()).close();
    }

    /** The plaintext keys of a cluster, from its vault entry (the reboot flow). */
    public Unlocked unlock(VaultEntry e, String region) {
        if (e.hsmProtected()) {
            return unlockHsm(e, region);
        }
        KmsRootKey root = KmsRootKey.ofArn(kms.asService(region), e.rootKeyArn());
        SecretBytes material = root.decrypt(e.wrappedCek(), e.context());
        ClusterKey cek = ClusterKey.ofMaterial(VaultEntry.cekInfo(e.clusterId(), e.cekVersion()), material);
        try {
            DatabaseKey dek = cek.unwrapDatabaseKey(
                    e.wrappedDek(), VaultEntry.dekInfo(e.clusterId(), e.dekVersion()), e.clusterId());
            return new Unlocked(cek, dek);
        } catch (RuntimeException ex) {
            cek.close();
            throw ex;
        }
    }

    /**
     * The plaintext keys of a snapshot's key envelope {@code e}, on the authority of {@code caller}: a grant for
     * Decrypt, constrained to the source cluster's ARN in the encryption context, is made as the caller (so only a
     * principal the key's policy or grants allow can restore), used once by the service principal with the
     * envelope's frozen context, and retired. The source cluster's own grant is not used: it may be gone.
     */
    Unlocked unlockSnapshot(Credential caller, String region, VaultEntry e) {
        String grantId = grantSnapshotDecrypt(caller, region, e, "redshift-restore-" + e.clusterId());
        try {
            return unlockSnapshotAsService(e, region);
        } finally {
            retireGrant(region, e.rootKeyArn(), grantId);
        }
    }

    /**
     * The first half of {@link #unlockSnapshot}, for a job that unwraps the envelope later, possibly after a
     * restart: a grant named {@code name} for Decrypt on {@code e}'s root key, constrained to the source cluster's
     * ARN, made as {@code caller} and retirable by the service principal. Returns its id; the job retires it when it
     * ends ({@link #retireGrantsNamed} finds it by name if the process stopped before the id was recorded).
     */
    public String grantSnapshotDecrypt(Credential caller, String region, VaultEntry e, String name) {
        String keyArn = e.rootKeyArn();
        String clusterArn = e.context().pairs().get(ARN_CONTEXT);
        return grantToService(
                caller,
                region,
                keyArn,
                clusterArn == null ? "" : clusterArn,
                name,
                GrantOperation.DECRYPT,
                GrantOperation.RETIRE_GRANT);
    }

    /** The plaintext keys of a snapshot's envelope, as the service principal, through a grant the caller made. */
    public Unlocked unlockSnapshotAsService(VaultEntry e, String region) {
        try {
            return unlock(e, region);
        } catch (StrongroomException ex) {
            throw RedshiftApiException.from(ex);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // HSM mode: the CEK inside an HSM partition, reached over KMIP (HsmClusterKey has the DEK flow)

    /** The ARN of the internal root key of {@code region} (made on first use), as a Redshift API error if not. */
    public String internalRootArn(String region) {
        try {
            return hsm.root().arn(region);
        } catch (StrongroomException e) {
            throw RedshiftApiException.from(e);
        }
    }

    /** The name a cluster's CEK of {@code version} has in the HSM partition. */
    public static String hsmKeyName(String clusterId, int version) {
        return "strongroom/" + clusterId + "/cek/" + version;
    }

    /**
     * The connectivity check of an HSM configuration (CreateCluster and a switch of configuration): TLS with the
     * pinned server certificate and the client certificate, Discover Versions offering KMIP 1.4 or newer, and an
     * authenticated Locate. Throws the mapped failure.
     */
    public void checkHsm(HsmCatalog.Pair p) {
        try (KmipClient c = KmipClient.connect(hsm.endpoint(p.certificate(), p.configuration()), timeout())) {
            c.checkConnectivity();
        } catch (KmipException e) {
            throw HsmClusterKey.mapped(
                    e, "connecting to HSM " + p.configuration().address());
        }
    }

    /**
     * Creates the keys of a new cluster whose key is in an HSM: the CEK made inside the partition (Create and
     * Activate, sensitive, never extractable), a random DEK encrypted by the HSM under it and sealed again under the
     * internal root key. Nothing is stored here. On a failure after the CEK was made, the CEK is revoked and
     * destroyed again (best effort).
     */
    public Created createHsm(HsmCatalog.Pair p, String clusterId, String clusterArn, Instant createTime) {
        String region = p.configuration().region();
        HsmEndpoint endpoint = hsm.endpoint(p.certificate(), p.configuration());
        CreatedKey made;
        try (KmipClient c = KmipClient.connect(endpoint, timeout())) {
            c.checkConnectivity();
            made = c.createKey(hsmKeyName(clusterId, 1));
        } catch (KmipException e) {
            throw HsmClusterKey.mapped(
                    e, "creating the cluster key in HSM " + p.configuration().address());
        }
        EncryptionContext context = EncryptionContext.of(
                Map.of(ARN_CONTEXT, clusterArn, CREATETIME_CONTEXT, CREATETIME.format(createTime)));
        String uid = made.uid();
        HsmClusterKey cek = hsmKey(endpoint, VaultEntry.cekInfo(clusterId, 1), uid, region, context);
        DatabaseKey dek = DatabaseKey.generate(VaultEntry.dekInfo(clusterId, 1), random);
        try {
            VaultEntry entry = VaultEntry.hsm(
                    clusterId, hsm.root().arn(region), context, 1, uid, 1, cek.wrap(dek, clusterId), createTime);
            return new Created(entry, new Unlocked(cek, dek), made.sensitive());
        } catch (RuntimeException e) {
            dek.close();
            destroyHsmKey(endpoint, uid);
            throw e;
        }
    }

    private Unlocked unlockHsm(VaultEntry e, String region) {
        HsmEndpoint endpoint = hsmEndpointOf(e.clusterId());
        String uid = e.hsmCekUid();
        try (KmipClient c = KmipClient.connect(endpoint, timeout())) {
            int st = c.state(uid);
            if (st != KMIP_ACTIVE) {
                throw new StrongroomException(
                        ErrorCode.ACCESS_DENIED,
                        "the cluster key " + uid + " in HSM partition " + endpoint.partition() + " is not active (KMIP"
                                + " state " + st + "); it was revoked or destroyed in the HSM");
            }
        } catch (KmipException ex) {
            throw HsmClusterKey.mapped(ex, "checking the cluster key in HSM partition " + endpoint.partition());
        }
        HsmClusterKey cek =
                hsmKey(endpoint, VaultEntry.cekInfo(e.clusterId(), e.cekVersion()), uid, region, e.context());
        DatabaseKey dek =
                cek.unwrapDatabaseKey(e.wrappedDek(), VaultEntry.dekInfo(e.clusterId(), e.dekVersion()), e.clusterId());
        return new Unlocked(cek, dek);
    }

    private Created rotateHsm(VaultEntry current, String region, int cekVersion, int dekVersion, Instant now) {
        String clusterId = current.clusterId();
        HsmEndpoint endpoint = hsmEndpointOf(clusterId);
        // A rotation that crashed after making this version's key but before storing it left that key behind.
        destroyStrayHsmKeys(clusterId, hsmKeyName(clusterId, cekVersion), null);
        CreatedKey made;
        try (KmipClient c = KmipClient.connect(endpoint, timeout())) {
            made = c.createKey(hsmKeyName(clusterId, cekVersion));
        } catch (KmipException e) {
            throw HsmClusterKey.mapped(e, "creating a new cluster key in HSM partition " + endpoint.partition());
        }
        String uid = made.uid();
        HsmClusterKey cek = hsmKey(endpoint, VaultEntry.cekInfo(clusterId, cekVersion), uid, region, current.context());
        DatabaseKey dek = DatabaseKey.generate(VaultEntry.dekInfo(clusterId, dekVersion), random);
        try {
            VaultEntry entry = VaultEntry.hsm(
                    clusterId,
                    hsm.root().arn(region),
                    current.context(),
                    cekVersion,
                    uid,
                    dekVersion,
                    cek.wrap(dek, clusterId),
                    now);
            return new Created(entry, new Unlocked(cek, dek), made.sensitive());
        } catch (RuntimeException e) {
            dek.close();
            destroyHsmKey(endpoint, uid);
            throw e;
        }
    }

    /**
     * Revokes and destroys the HSM key of {@code old} (a CEK no vault entry or snapshot envelope names any more);
     * false when the HSM refused or could not be reached.
     */
    public boolean retireHsmKey(VaultEntry old) {
        if (!old.hsmProtected()) {
            return true;
        }
        try {
            return destroyHsmKey(hsmEndpointOf(old.clusterId()), old.hsmCekUid());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private boolean destroyHsmKey(HsmEndpoint endpoint, String uid) {
        try (KmipClient c = KmipClient.connect(endpoint, timeout())) {
            c.revokeAndDestroy(uid);
            return true;
        } catch (KmipException e) {
            return false;
        }
    }

    /** The KMIP state of the CEK of HSM entry {@code v} in the HSM the cluster uses now (the monitor's check). */
    public int hsmKeyState(VaultEntry v) {
        HsmEndpoint endpoint = hsmEndpointOf(v.clusterId());
        try (KmipClient c = KmipClient.connect(endpoint, timeout())) {
            return c.state(v.hsmCekUid());
        } catch (KmipException e) {
            throw HsmClusterKey.mapped(e, "checking the cluster key in HSM partition " + endpoint.partition());
        }
    }

    /**
     * Revokes and destroys every key named {@code name} in the HSM of cluster {@code clusterId} except {@code keep}:
     * keys a crash left between their creation in the HSM and the vault write that would have named them (the
     * reference's "Locate by Name" recovery). Best effort; returns how many went.
     */
    public int destroyStrayHsmKeys(String clusterId, String name, @Nullable String keep) {
        try {
            HsmEndpoint endpoint = hsmEndpointOf(clusterId);
            int n = 0;
            try (KmipClient c = KmipClient.connect(endpoint, timeout())) {
                for (String uid : c.locate(name)) {
                    if (!uid.equals(keep)) {
                        c.revokeAndDestroy(uid);
                        n++;
                    }
                }
            }
            return n;
        } catch (StrongroomException e) {
            return 0;
        }
    }

    /** The endpoint of the HSM cluster {@code clusterId} uses now (its binding). */
    private HsmEndpoint hsmEndpointOf(String clusterId) {
        HsmStore.Binding b = hsm.store()
                .binding(clusterId)
                .orElseThrow(() -> new StrongroomException(
                        ErrorCode.ACCESS_DENIED, "cluster " + clusterId + " has no HSM configuration on record"));
        HsmStore.Certificate cert = hsm.store()
                .certificate(b.accountId(), b.region(), b.certificateId())
                .orElseThrow(() -> new StrongroomException(
                        ErrorCode.ACCESS_DENIED, "HSM client certificate " + b.certificateId() + " is gone"));
        HsmStore.Configuration config = hsm.store()
                .configuration(b.accountId(), b.region(), b.configurationId())
                .orElseThrow(() -> new StrongroomException(
                        ErrorCode.ACCESS_DENIED, "HSM configuration " + b.configurationId() + " is gone"));
        // Opening the endpoint costs two KMS calls (the sealed key and password): keep it per certificate and
        // configuration version, so the monitor's checks do not fill the audit trail.
        String cacheKey = cert.arn() + "@" + cert.createTime() + "|" + config.arn() + "@" + config.createTime();
        return endpoints.computeIfAbsent(cacheKey, k -> hsm.endpoint(cert, config));
    }

    private final Map<String, HsmEndpoint> endpoints = new ConcurrentHashMap<>();

    private HsmClusterKey hsmKey(
            HsmEndpoint endpoint, KeyInfo info, String uid, String region, EncryptionContext context) {
        return new HsmClusterKey(info, uid, hsm.connector(endpoint), hsm.root(), region, context.pairs(), random);
    }

    private static Duration timeout() {
        return ControlState.HSM_TIMEOUT;
    }

    /** KMIP's Active state. */
    public static final int KMIP_ACTIVE = 2;

    /**
     * The envelope of a snapshot copied to {@code destRegion}, under {@code destKeyArn} (a key of that region the
     * service may use through the snapshot copy grant {@code grantId}), by the seed's transit scheme ({@link
     * KeyTransfer}): the source envelope is opened as the service principal in {@code
     * sourceRegion} and the DEK sealed for a fresh RSA-3072 key pair; {@code carry} receives what crosses between the
     * regions (no key in the clear) and returns what arrived; the destination opens it with the private key and wraps
     * the DEK under a new CEK from {@code destKeyArn}, with the snapshot's encryption context (the source
     * cluster's ARN and create time, so the audit finds it by cluster name). The DEK itself does not change: the
     * copied blocks and manifests stay valid byte for byte. Every plaintext key is closed before this returns; the
     * private key lives only in this call.
     */
    public VaultEntry copyEnvelope(
            VaultEntry source,
            String sourceRegion,
            String destRegion,
            String destKeyArn,
            String grantId,
            Instant now,
            UnaryOperator<byte[]> carry) {
        try (KeyTransfer transfer = KeyTransfer.start(random)) {
            byte[] sent = sealForTransfer(source, sourceRegion, transfer.publicKey()); // source region
            return openTransfer(
                    transfer,
                    carry.apply(sent),
                    source.clusterId(),
                    source.dekVersion(),
                    source.context(),
                    destRegion,
                    destKeyArn,
                    grantId,
                    now);
        }
    }

    /**
     * The sending half of {@link #copyEnvelope}: the snapshot's DEK, unwrapped as the service principal in {@code
     * sourceRegion}, sealed for the holder of the private key of {@code publicKey} (the receiver's, made for this
     * one transfer). The plaintext keys are closed before this returns.
     */
    public byte[] sealForTransfer(VaultEntry source, String sourceRegion, byte[] publicKey) {
        try (Unlocked keys = unlockSnapshotAsService(source, sourceRegion)) {
            return KeyTransfer.sealFor(publicKey, keys.dek, source.clusterId(), random);
        } catch (StrongroomException e) {
            throw e instanceof RedshiftApiException ? e : RedshiftApiException.from(e);
        }
    }

    /**
     * The receiving half of {@link #copyEnvelope}: the DEK (of {@code clusterId}, version {@code dekVersion}) opened
     * from {@code arrived} with {@code transfer}'s private key, and wrapped under a new CEK from GenerateDataKey on
     * {@code destKeyArn} in {@code destRegion}, as the service principal through the snapshot copy grant {@code
     * grantId}, with {@code context} (the source cluster's ARN and create time). Returns the copy's envelope;
     * every plaintext key is closed before this returns. The caller closes {@code transfer}.
     */
    public VaultEntry openTransfer(
            KeyTransfer transfer,
            byte[] arrived,
            String clusterId,
            int dekVersion,
            EncryptionContext context,
            String destRegion,
            String destKeyArn,
            String grantId,
            Instant now) {
        try (DatabaseKey dek = transfer.open(arrived, VaultEntry.dekInfo(clusterId, dekVersion), clusterId);
                DataKey dataKey =
                        KmsRootKey.ofArn(kms.asService(destRegion), destKeyArn).generateDataKey(context)) {
            try (ClusterKey cek = ClusterKey.ofDataKey(VaultEntry.cekInfo(clusterId, 1), dataKey)) {
                return new VaultEntry(
                        clusterId,
                        destKeyArn,
                        grantId,
                        context,
                        1,
                        dataKey.wrapped(),
                        dekVersion,
                        cek.wrap(dek, clusterId),
                        now);
            }
        } catch (StrongroomException e) {
            throw e instanceof RedshiftApiException ? e : RedshiftApiException.from(e);
        }
    }

    /**
     * The receiving installation's check of a snapshot copy grant's key, as the service principal through the grant
     * (the sender's caller is not known here): DescribeKey, refused as {@link #resolveRootKey} refuses a key that
     * cannot protect a cluster.
     */
    public void checkCopyKey(String region, String keyArn) {
        KeyMetadata m;
        try {
            m = kms.asService(region).describeKey(r -> r.keyId(keyArn)).keyMetadata();
        } catch (SdkException e) {
            throw RedshiftApiException.invalidParameter("The key " + keyArn + " of the snapshot copy grant cannot be"
                    + " used by the service (" + e.getClass().getSimpleName() + "): check the key and the grant.");
        }
        checkUsable(m);
    }

    /**
     * As the caller, grants the service principal use of {@code keyArn} for copying snapshots into this region
     * (GenerateDataKey, Decrypt, Encrypt, DescribeKey), retirable by the service principal; returns the grant id.
     */
    public String grantSnapshotCopy(Credential caller, String region, String keyArn, String name) {
        try {
            return kms.asCaller(caller, region)
                    .createGrant(r -> r.keyId(keyArn)
                            .granteePrincipal(kms.servicePrincipalArn())
                            .retiringPrincipal(kms.servicePrincipalArn())
                            .operations(
                                    GrantOperation.GENERATE_DATA_KEY,
                                    GrantOperation.DECRYPT,
                                    GrantOperation.ENCRYPT,
                                    GrantOperation.DESCRIBE_KEY,
                                    GrantOperation.RETIRE_GRANT)
                            .name(name))
                    .grantId();
        } catch (SdkException e) {
            throw refusal(e, keyArn, caller, region);
        }
    }

    /** What a cluster's grant on its root key allows the service principal. */
    private static final GrantOperation[] CLUSTER_GRANT = {
        GrantOperation.DECRYPT, GrantOperation.GENERATE_DATA_KEY, GrantOperation.RETIRE_GRANT
    };

    /**
     * As the caller, grants the service principal use of {@code keyArn} for the cluster {@code clusterArn} (its
     * encryption context must name the cluster) for {@code operations}, retirable by the service principal; returns
     * the grant id.
     */
    private String grantToService(
            Credential caller,
            String region,
            String keyArn,
            String clusterArn,
            String name,
            GrantOperation... operations) {
        try {
            return kms.asCaller(caller, region)
                    .createGrant(r -> r.keyId(keyArn)
                            .granteePrincipal(kms.servicePrincipalArn())
                            .retiringPrincipal(kms.servicePrincipalArn())
                            .operations(operations)
                            .constraints(c -> c.encryptionContextSubset(Map.of(ARN_CONTEXT, clusterArn)))
                            .name(name))
                    .grantId();
        } catch (SdkException e) {
            throw refusal(e, keyArn, caller, region);
        }
    }

    /**
     * Retires every grant on {@code keyArn} named {@code name} that the service principal may retire; returns how
     * many, or -1 when the KMS could not be asked (the caller records that a grant may remain).
     */
    public int retireGrantsNamed(String region, String keyArn, String name) {
        try {
            KmsClient service = kms.asService(region);
            int n = 0;
            for (GrantListEntry g : service.listRetirableGrantsPaginator(
                            r -> r.retiringPrincipal(kms.servicePrincipalArn()))
                    .grants()) {
                if (name.equals(g.name()) && keyArn.equals(g.keyId())) {
                    service.retireGrant(r -> r.keyId(keyArn).grantId(g.grantId()));
                    n++;
                }
            }
            return n;
        } catch (SdkException e) {
            return -1;
        }
    }

    /** Retires a cluster's grant as the service principal; false (and no exception) when that fails. */
    public boolean retireGrant(String region, String keyArn, String grantId) {
        try {
            kms.asService(region).retireGrant(r -> r.keyId(keyArn).grantId(grantId));
            return true;
        } catch (SdkException e) {
            return false;
        }
    }

    /** The Redshift error for a KMS refusal of the caller's DescribeKey or CreateGrant. */
    private RedshiftApiException refusal(SdkException e, String keyId, Credential caller, String region) {
        String acting = kms.actingPrincipal(caller);
        if (e instanceof KmsException k && k.awsErrorDetails() != null) {
            String code = k.awsErrorDetails().errorCode();
            String detail = k.awsErrorDetails().errorMessage();
            return switch (code) {
                case "NotFoundException", "InvalidArnException" ->
                    RedshiftApiException.invalidParameter("KMS key " + keyId + " does not exist in " + region
                            + " or is not visible to " + acting + ". Name a key by id, ARN,"
                            + " alias or alias ARN; a key of another account must be named by its ARN.");
                case "DisabledException" ->
                    RedshiftApiException.invalidParameter("KMS key " + keyId + " is disabled and cannot protect a"
                            + " cluster. Enable the key (kms enable-key) or choose another key.");
                case "KMSInvalidStateException" ->
                    RedshiftApiException.invalidParameter(
                            "KMS key " + keyId + " cannot be used in its current" + " state (" + detail + ").");
                case "AccessDeniedException" ->
                    new RedshiftApiException(
                            ErrorCode.ACCESS_DENIED,
                            "DependentServiceAccessDenied",
                            403,
                            "Amazon Redshift could not use KMS key " + keyId + " as " + acting + ": " + detail
                                    + ". The key policy or a grant must"
                                    + " allow DescribeKey and CreateGrant to this principal.");
                default ->
                    k.statusCode() >= 500
                            ? new RedshiftApiException(
                                    ErrorCode.KEY_UNAVAILABLE,
                                    "DependentServiceUnavailableFault",
                                    400,
                                    "The KMS failed (" + code + "); retry later.")
                            : RedshiftApiException.invalidParameter(
                                    "KMS refused key " + keyId + ": " + code + ": " + detail);
            };
        }
        if (e instanceof SdkClientException) {
            return new RedshiftApiException(
                    ErrorCode.KEY_UNAVAILABLE,
                    "DependentServiceUnavailableFault",
                    400,
                    "The KMS cannot be reached; retry when it is back.");
        }
        return new RedshiftApiException(
                ErrorCode.KEY_UNAVAILABLE, "DependentServiceUnavailableFault", 400, "The KMS call failed; retry.");
    }
}
