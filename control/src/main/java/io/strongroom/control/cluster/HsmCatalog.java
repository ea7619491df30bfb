package io.strongroom.control.cluster;

import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.hsm.HsmAccess;
import io.strongroom.control.hsm.HsmStore;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Redshift API for HSMs: CreateHsmClientCertificate, DescribeHsmClientCertificates, DeleteHsmClientCertificate,
 * CreateHsmConfiguration, DescribeHsmConfigurations, DeleteHsmConfiguration, and the checks CreateCluster and
 * ModifyCluster make on the HSM members. Certificates and configurations belong to an account and a region; neither
 * can be deleted while a cluster uses it. The key flows themselves are in {@link ClusterKeys}.
 *
 * <p>Thread-safe: changes are made under the control plane's lock.
 */
public final class HsmCatalog {
    /** At most this many of each per account and region (Redshift's default quota). */
    static final int QUOTA = 20;

    private final ControlState state;
    private final HsmAccess hsm;

    HsmCatalog(ControlState state, HsmAccess hsm) {
        this.state = state;
        this.hsm = hsm;
    }

    public HsmStore store() {
        return hsm.store();
    }

    public HsmStore.Certificate createCertificate(
            Credential caller, String region, String identifier, Map<String, String> tags) {
        String id = ClusterParameters.identifier(identifier, "HsmClientCertificateIdentifier");
        HsmStore.Certificate c;
        try {
            c = hsm.newCertificate(caller.accountId(), region, id, tags, state.clock.instant());
        } catch (StrongroomException e) {
            throw RedshiftApiException.from(e);
        }
        synchronized (state.lock) {
            if (store().certificate(caller.accountId(), region, id).isPresent()) {
                throw new RedshiftApiException(
                        ErrorCode.ALREADY_EXISTS,
                        "HsmClientCertificateAlreadyExistsFault",
                        400,
                        "The HSM client certificate " + id + " already exists in " + region + ".");
            }
            if (certificates(caller, region).size() >= QUOTA) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "HsmClientCertificateQuotaExceededFault",
                        400,
                        "At most " + QUOTA + " HSM client certificates per account and region; delete one first.");
            }
            store().put(c);
        }
        return c;
    }

    public List<HsmStore.Certificate> describeCertificates(
            Credential caller, String region, @Nullable String identifier) {
        if (identifier != null) {
            return List.of(certificate(caller, region, identifier));
        }
        return certificates(caller, region);
    }

    public void deleteCertificate(Credential caller, String region, String identifier) {
        synchronized (state.lock) {
            HsmStore.Certificate c = certificate(caller, region, identifier);
            for (HsmStore.Binding b : store().bindings()) {
                ClusterEntry e = state.byId.get(b.clusterId());
                if (e != null && b.certificateId().equals(c.identifier()) && sameOwner(e.rec, caller, region)) {
                    throw new RedshiftApiException(
                            ErrorCode.INVALID_STATE,
                            "InvalidHsmClientCertificateStateFault",
                            400,
                            "The HSM client certificate " + c.identifier() + " is in use by cluster "
                                    + e.rec.identifier() + "; delete the cluster or move it to another certificate"
                                    + " first.");
                }
            }
            store().removeCertificate(c);
        }
    }

    public HsmStore.Configuration createConfiguration(
            Credential caller,
            String region,
            String identifier,
            String description,
            String address,
            String partition,
            String password,
            String serverCertificate,
            Map<String, String> tags) {
        String id = ClusterParameters.identifier(identifier, "HsmConfigurationIdentifier");
        if (partition.isBlank() || partition.length() > 128) {
            throw RedshiftApiException.invalidParameter("HsmPartitionName must be 1 to 128 characters.");
        }
        if (password.isEmpty() || password.length() > 128) {
            throw RedshiftApiException.invalidParameter("HsmPartitionPassword must be 1 to 128 characters.");
        }
        HsmStore.Configuration c;
        try {
            c = hsm.newConfiguration(
                    caller.accountId(),
                    region,
                    id,
                    description,
                    address,
                    partition,
                    password,
                    serverCertificate,
                    tags,
                    state.clock.instant());
        } catch (StrongroomException e) {
            throw e.code() == ErrorCode.INVALID_ARGUMENT
                    ? RedshiftApiException.invalidParameter(
                            StrongroomException.forClient(String.valueOf(e.getMessage())))
                    : RedshiftApiException.from(e);
        } catch (IllegalArgumentException e) {
            throw RedshiftApiException.invalidParameter("HsmServerPublicCertificate is not a PEM X.509 certificate ("
                    + e.getMessage() + "). Give the HSM's server certificate, for example server.pem.");
        }
        synchronized (state.lock) {
            if (store().configuration(caller.accountId(), region, id).isPresent()) {
                throw new RedshiftApiException(
                        ErrorCode.ALREADY_EXISTS,
                        "HsmConfigurationAlreadyExistsFault",
                        400,
                        "The HSM configuration " + id + " already exists in " + region + ".");
            }
            if (configurations(caller, region).size() >= QUOTA) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "HsmConfigurationQuotaExceededFault",
                        400,
                        "At most " + QUOTA + " HSM configurations per account and region; delete one first.");
            }
            store().put(c);
        }
        return c;
    }

    public List<HsmStore.Configuration> describeConfigurations(
            Credential caller, String region, @Nullable String identifier) {
        if (identifier != null) {
            return List.of(configuration(caller, region, identifier));
        }
        return configurations(caller, region);
    }

    public void deleteConfiguration(Credential caller, String region, String identifier) {
        synchronized (state.lock) {
            HsmStore.Configuration c = configuration(caller, region, identifier);
            for (HsmStore.Binding b : store().bindings()) {
                ClusterEntry e = state.byId.get(b.clusterId());
                if (e != null && b.configurationId().equals(c.identifier()) && sameOwner(e.rec, caller, region)) {
                    throw new RedshiftApiException(
                            ErrorCode.INVALID_STATE,
                            "InvalidHsmConfigurationStateFault",
                            400,
                            "The HSM configuration " + c.identifier() + " is in use by cluster "
                                    + e.rec.identifier() + "; delete the cluster or move it to another HSM"
                                    + " configuration first.");
                }
            }
            store().removeConfiguration(c);
        }
    }

    /** The certificate and configuration an HSM request names, both required and both existing. */
    public record Pair(HsmStore.Certificate certificate, HsmStore.Configuration configuration) {}

    public Pair resolve(Credential caller, String region, ClusterRequests.Hsm q) {
        if (q.certificateId() == null || q.configurationId() == null) {
            throw RedshiftApiException.invalidCombination("HsmClientCertificateIdentifier and"
                    + " HsmConfigurationIdentifier go together: give both to use an HSM.");
        }
        return new Pair(
                certificate(caller, region, q.certificateId()), configuration(caller, region, q.configurationId()));
    }

    private HsmStore.Certificate certificate(Credential caller, String region, String identifier) {
        return store().certificate(caller.accountId(), region, identifier.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> new RedshiftApiException(
                        ErrorCode.NOT_FOUND,
                        "HsmClientCertificateNotFoundFault",
                        400,
                        "There is no HSM client certificate " + identifier + " in " + region
                                + "; create one with create-hsm-client-certificate."));
    }

    private HsmStore.Configuration configuration(Credential caller, String region, String identifier) {
        return store().configuration(caller.accountId(), region, identifier.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> new RedshiftApiException(
                        ErrorCode.NOT_FOUND,
                        "HsmConfigurationNotFoundFault",
                        400,
                        "There is no HSM configuration " + identifier + " in " + region
                                + "; create one with create-hsm-configuration."));
    }

    private List<HsmStore.Certificate> certificates(Credential caller, String region) {
        return store().certificates().stream()
                .filter(c ->
                        c.accountId().equals(caller.accountId()) && c.region().equals(region))
                .sorted(Comparator.comparing(HsmStore.Certificate::createTime))
                .toList();
    }

    private List<HsmStore.Configuration> configurations(Credential caller, String region) {
        return store().configurations().stream()
                .filter(c ->
                        c.accountId().equals(caller.accountId()) && c.region().equals(region))
                .sorted(Comparator.comparing(HsmStore.Configuration::createTime))
                .toList();
    }

    private static boolean sameOwner(ClusterRecord r, Credential caller, String region) {
        return r.accountId().equals(caller.accountId()) && r.region().equals(region);
    }

    /** The HsmStatus DescribeClusters shows for cluster {@code clusterId}, or null when it has no HSM. */
    ClusterView.@Nullable HsmStatus status(String clusterId) {
        return store().binding(clusterId)
                .map(b -> new ClusterView.HsmStatus(
                        b.certificateId(), b.configurationId(), b.status().equals("applying") ? "applying" : "active"))
                .orElse(null);
    }
}
