package io.strongroom.control.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.strongroom.aws.BodyDeadline;
import io.strongroom.aws.Credential;
import io.strongroom.aws.SigV4;
import io.strongroom.aws.SigV4Exception;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEvent;
import io.strongroom.control.cluster.ClusterRequests;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.KmsConnection;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.cluster.ResizeProgress;
import io.strongroom.control.cluster.TemporaryCredentials;
import io.strongroom.control.lifecycle.ClusterManager;
import io.strongroom.control.snapshot.SnapshotView;
import io.strongroom.kms.KmsServer;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The endpoint: the Redshift API on {@code POST /} (form body, {@code Action=...&Version=2012-12-01}), and KMS API
 * requests (recognised by {@code X-Amz-Target: TrentService.*}) passed to the KMS: in process when it is embedded
 * ({@link InProcessKmsRoute}), over HTTP otherwise ({@link KmsForwarder}).
 *
 * <p>Per Redshift request: read the body (at most {@link #MAX_BODY_BYTES}), verify SigV4 for service {@code
 * redshift} (the region comes from the credential scope), dispatch on {@code Action}, answer {@code
 * <ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>...} (the Result element first, as the Java SDK
 * requires) or {@code <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>} with the
 * model's wire code and HTTP status. Signature failures use the Query protocol's codes (MissingAuthenticationToken,
 * IncompleteSignature, InvalidClientTokenId, SignatureDoesNotMatch, RequestExpired). Internal failures answer
 * InternalFailure without detail. Every answer carries {@code x-amzn-RequestId} and {@code Date}.
 *
 * <p>Thread-safe: one instance serves all requests concurrently.
 */
public final class RedshiftHttpHandler implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(RedshiftHttpHandler.class.getName());
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    public static final String VERSION = "2012-12-01";

    private final ClusterManager clusters;
    private final SigV4 sigV4;
    private final KmsRoute kms;
    private final InstantSource requestClock;
    private final @Nullable AuditLog audit;
    private volatile Duration bodyDeadline = BodyDeadline.DEFAULT;

    /**
     * KMS API requests go to an embedded KMS in process, to any other over HTTP; refused requests are recorded in
     * {@code audit} (the control plane's audit trail).
     */
    public RedshiftHttpHandler(
            ClusterManager clusters,
            SigV4 sigV4,
            KmsConnection kms,
            InstantSource requestClock,
            @Nullable AuditLog audit) {
        this(clusters, sigV4, route(kms), requestClock, audit);
    }

    /** KMS API requests go to {@code kms} (tests: a {@link KmsForwarder} to a port nobody listens on). */
    RedshiftHttpHandler(
            ClusterManager clusters, SigV4 sigV4, KmsRoute kms, InstantSource requestClock, @Nullable AuditLog audit) {
        this.audit = audit;
        this.clusters = clusters;
        this.sigV4 = sigV4;
        this.kms = kms;
        this.requestClock = requestClock;
    }

    private static KmsRoute route(KmsConnection kms) {
        Supplier<KmsServer> embedded = kms.embedded();
        return embedded != null ? new InProcessKmsRoute(embedded) : new KmsForwarder(kms.endpoint());
    }

    /** How long a request's body may take to arrive before the client is answered 408 ({@link BodyDeadline}). */
    public RedshiftHttpHandler bodyDeadline(Duration deadline) {
        this.bodyDeadline = deadline;
        return this;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
            boolean kmsRequest = target != null && target.startsWith("TrentService.");
            String requestId = UUID.randomUUID().toString();
            // Every answer carries the id, whichever path sends it (a forwarded KMS answer carries the KMS's own,
            // which its audit record names).
            ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
            byte[] body = RequestBodies.read(ex, kmsRequest, requestId, bodyDeadline);
            if (body == null) {
                return; // answered 408 by the body deadline
            }
            if (kmsRequest) {
                kms.answer(ex, body);
                return;
            }
            int status;
            String xml;
            try {
                if (body.length > MAX_BODY_BYTES) {
                    throw RedshiftApiException.invalidParameter(
                            "The request body exceeds " + MAX_BODY_BYTES + " bytes.");
                }
                xml = serve(ex, body, requestId);
                status = 200;
            } catch (StrongroomException e) {
                RedshiftApiException r = RedshiftApiException.from(e);
                status = r.httpStatus();
                xml = status == 500
                        ? internalFailure(r.wireCode(), requestId, e)
                        : error(r.faultType(), r.wireCode(), forClient(r.getMessage(), requestId), requestId);
            } catch (RuntimeException e) {
                status = 500;
                xml = internalFailure("InternalFailure", requestId, e);
            }
            byte[] out = xml.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/xml");
            ex.getResponseHeaders()
                    .set(
                            "Date",
                            DateTimeFormatter.RFC_1123_DATE_TIME.format(
                                    requestClock.instant().atOffset(ZoneOffset.UTC)));
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
            // The request's own line, under the id its answer, its refusal record or its failure line carry.
            int answered = status;
            LOG.log(Level.DEBUG, () -> "Redshift API request " + requestId + " answered " + answered);
        }
    }

    private String serve(HttpExchange ex, byte[] body, String requestId) {
        String method = ex.getRequestMethod();
        String rawQuery = ex.getRequestURI().getRawQuery();
        QueryParams p;
        if (method.equals("POST")) {
            p = QueryParams.parse(new String(body, StandardCharsets.UTF_8));
        } else if (method.equals("GET")) {
            p = QueryParams.parse(rawQuery);
        } else {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT, "InvalidAction", 400, "Only POST and GET on / are served.");
        }
        SigV4.Verified v;
        try {
            v = sigV4.verify(
                    method,
                    ex.getRequestURI().getRawPath(),
                    rawQuery,
                    name -> ex.getRequestHeaders().get(name),
                    body,
                    requestClock.instant(),
                    akid -> {});
        } catch (SigV4Exception e) {
            RedshiftApiException refused = authError(e);
            // Recorded, so that guessing or a stolen key id can be traced: the key id (not secret), the client.
            String who = accessKeyIdOf(ex.getRequestHeaders().getFirst("Authorization"));
            String from = ex.getRemoteAddress() == null
                    ? "?"
                    : ex.getRemoteAddress().getAddress().getHostAddress();
            LOG.log(
                    System.Logger.Level.WARNING,
                    () -> "Redshift API request " + requestId + " refused (" + refused.wireCode() + ") for access key "
                            + who + " from " + from);
            auditRefusal(ex, requestId, p.get("Action"), who, from, refused);
            throw refused;
        }
        String action = p.required("Action");
        String version = p.get("Version");
        if (version != null && !version.equals(VERSION)) {
            throw RedshiftApiException.invalidParameter(
                    "Version " + version + " is not supported; use " + VERSION + ".");
        }
        Credential caller = v.credential();
        String region = v.region();
        if (Boolean.TRUE.equals(p.bool("EnhancedVpcRouting"))) {
            throw RedshiftApiException.unsupported("EnhancedVpcRouting does not apply here: a Strongroom cluster has no"
                    + " VPC, so its COPY and UNLOAD traffic cannot be routed through one. Leave it false.");
        }
        XmlWriter w = new XmlWriter().root(action + "Response").open(action + "Result");
        switch (action) {
            case "CreateCluster" -> cluster(w, clusters.create(caller, region, create(p)));
            case "DescribeClusters" -> {
                List<String> keys = p.members("TagKeys.TagKey");
                List<String> values = p.members("TagValues.TagValue");
                describeClusters(
                        w,
                        p,
                        clusters.describe(caller, region, p.get("ClusterIdentifier")).stream()
                                .filter(c -> ClusterManager.tagged(c, keys, values))
                                .toList());
            }
            case "CreateTags" -> clusters.createTags(caller, region, p.required("ResourceName"), p.tags());
            case "DeleteTags" ->
                clusters.deleteTags(caller, region, p.required("ResourceName"), p.members("TagKeys.TagKey"));
            case "DescribeTags" ->
                page(
                        w,
                        p,
                        clusters.describeTags(
                                caller,
                                region,
                                p.get("ResourceName"),
                                p.get("ResourceType"),
                                p.members("TagKeys.TagKey"),
                                p.members("TagValues.TagValue")),
                        "TaggedResources",
                        (x, t) -> t.tags()
                                .forEach((tagKey, tagValue) -> x.open("TaggedResource")
                                        .open("Tag")
                                        .text("Key", tagKey)
                                        .text("Value", tagValue)
                                        .close("Tag")
                                        .text("ResourceName", t.arn())
                                        .text("ResourceType", t.type())
                                        .close("TaggedResource")));
            case "ModifyCluster" -> cluster(w, clusters.modify(caller, region, modify(p)));
            case "ResizeCluster" ->
                cluster(
                        w,
                        clusters.resize(
                                caller,
                                region,
                                new ClusterRequests.Resize(
                                        p.required("ClusterIdentifier"),
                                        p.get("NodeType"),
                                        p.get("ClusterType"),
                                        p.integer("NumberOfNodes"),
                                        Boolean.TRUE.equals(p.bool("Classic")))));
            case "RotateEncryptionKey" ->
                cluster(w, clusters.rotateEncryptionKey(caller, region, p.required("ClusterIdentifier")));
            case "DescribeResize" ->
                resize(w, clusters.describeResize(caller, region, p.required("ClusterIdentifier")));
            case "RebootCluster" -> cluster(w, clusters.reboot(caller, region, p.required("ClusterIdentifier")));
            case "GetClusterCredentials" -> {
                if (p.get("CustomDomainName") != null) {
                    throw RedshiftApiException.unsupported("CustomDomainName is not supported: no custom domain names"
                            + " are associated with clusters here. Give ClusterIdentifier instead.");
                }
                Integer seconds = p.integer("DurationSeconds");
                ResourceXml.clusterCredentials(
                        w,
                        clusters.clusterCredentials(
                                caller,
                                region,
                                p.required("ClusterIdentifier"),
                                new TemporaryCredentials.Request(
                                        p.required("DbUser"),
                                        Duration.ofSeconds(seconds == null ? 900 : seconds),
                                        Boolean.TRUE.equals(p.bool("AutoCreate")),
                                        p.members("DbGroups.DbGroup"),
                                        p.get("DbName"))));
            }
            case "PauseCluster" -> cluster(w, clusters.pause(caller, region, p.required("ClusterIdentifier")));
            case "ResumeCluster" -> cluster(w, clusters.resume(caller, region, p.required("ClusterIdentifier")));
            case "DeleteCluster" ->
                cluster(
                        w,
                        clusters.delete(
                                caller,
                                region,
                                new ClusterRequests.Delete(
                                        p.required("ClusterIdentifier"),
                                        Boolean.TRUE.equals(p.bool("SkipFinalClusterSnapshot")),
                                        p.get("FinalClusterSnapshotIdentifier"),
                                        p.integer("FinalClusterSnapshotRetentionPeriod"))));
            case "CreateClusterSnapshot" ->
                snapshot(
                        w,
                        clusters.createSnapshot(
                                caller,
                                region,
                                p.required("ClusterIdentifier"),
                                p.required("SnapshotIdentifier"),
                                p.integer("ManualSnapshotRetentionPeriod")));
            case "DescribeClusterSnapshots" ->
                page(
                        w,
                        p,
                        clusters.describeSnapshots(
                                caller,
                                region,
                                new ClusterRequests.DescribeSnapshots(
                                        p.get("ClusterIdentifier"),
                                        p.get("SnapshotIdentifier"),
                                        p.get("SnapshotType"),
                                        p.timestamp("StartTime"),
                                        p.timestamp("EndTime"))),
                        "Snapshots",
                        (x, sv) -> SnapshotXml.snapshot(x, sv, requestClock.instant()));
            case "DeleteClusterSnapshot" ->
                snapshot(
                        w,
                        clusters.deleteSnapshot(
                                caller, region, p.required("SnapshotIdentifier"), p.get("SnapshotClusterIdentifier")));
            case "CopyClusterSnapshot" ->
                snapshot(
                        w,
                        clusters.copySnapshot(
                                caller,
                                region,
                                p.required("SourceSnapshotIdentifier"),
                                p.get("SourceSnapshotClusterIdentifier"),
                                p.required("TargetSnapshotIdentifier"),
                                p.integer("ManualSnapshotRetentionPeriod")));
            case "ModifyClusterSnapshot" ->
                snapshot(
                        w,
                        clusters.modifySnapshot(
                                caller,
                                region,
                                p.required("SnapshotIdentifier"),
                                p.integer("ManualSnapshotRetentionPeriod"),
                                Boolean.TRUE.equals(p.bool("Force"))));
            case "RestoreFromClusterSnapshot" ->
                cluster(
                        w,
                        clusters.restore(
                                caller,
                                region,
                                new ClusterRequests.Restore(
                                        p.required("ClusterIdentifier"),
                                        p.required("SnapshotIdentifier"),
                                        p.get("NodeType"),
                                        p.integer("NumberOfNodes"),
                                        p.integer("Port"),
                                        p.bool("Encrypted"),
                                        p.get("KmsKeyId"),
                                        p.integer("AutomatedSnapshotRetentionPeriod"),
                                        p.integer("ManualSnapshotRetentionPeriod"),
                                        hsm(p))));
            case "RestoreTableFromClusterSnapshot" ->
                SnapshotXml.tableRestore(
                        w,
                        clusters.restoreTable(
                                caller,
                                region,
                                new ClusterRequests.RestoreTable(
                                        p.required("ClusterIdentifier"),
                                        p.required("SnapshotIdentifier"),
                                        p.required("SourceDatabaseName"),
                                        p.get("SourceSchemaName"),
                                        p.required("SourceTableName"),
                                        p.get("TargetDatabaseName"),
                                        p.get("TargetSchemaName"),
                                        p.required("NewTableName"))),
                        "TableRestoreStatus");
            case "DescribeTableRestoreStatus" ->
                page(
                        w,
                        p,
                        clusters.tableRestoreStatus(
                                caller, region, p.get("ClusterIdentifier"), p.get("TableRestoreRequestId")),
                        "TableRestoreStatusDetails",
                        (x, t) -> SnapshotXml.tableRestore(x, t, "TableRestoreStatus"));
            case "DescribeEvents" -> describeEvents(w, p, caller, region);
            case "CreateSnapshotCopyGrant" ->
                copyGrant(
                        w,
                        clusters.createSnapshotCopyGrant(
                                caller, region, p.required("SnapshotCopyGrantName"), p.get("KmsKeyId")));
            case "DescribeSnapshotCopyGrants" ->
                page(
                        w,
                        p,
                        clusters.describeSnapshotCopyGrants(caller, region, p.get("SnapshotCopyGrantName")),
                        "SnapshotCopyGrants",
                        (x, g) -> {
                            x.open("SnapshotCopyGrant");
                            copyGrantFields(x, g);
                            x.close("SnapshotCopyGrant");
                        });
            case "DeleteSnapshotCopyGrant" ->
                clusters.deleteSnapshotCopyGrant(caller, region, p.required("SnapshotCopyGrantName"));
            case "EnableSnapshotCopy" ->
                cluster(
                        w,
                        clusters.enableSnapshotCopy(
                                caller,
                                region,
                                p.required("ClusterIdentifier"),
                                p.required("DestinationRegion"),
                                p.integer("RetentionPeriod"),
                                p.integer("ManualSnapshotRetentionPeriod"),
                                p.get("SnapshotCopyGrantName")));
            case "DisableSnapshotCopy" ->
                cluster(w, clusters.disableSnapshotCopy(caller, region, p.required("ClusterIdentifier")));
            case "ModifySnapshotCopyRetentionPeriod" -> {
                Integer days = p.integer("RetentionPeriod");
                if (days == null) {
                    throw RedshiftApiException.invalidParameter("RetentionPeriod is required.");
                }
                cluster(
                        w,
                        clusters.modifySnapshotCopyRetentionPeriod(
                                caller,
                                region,
                                p.required("ClusterIdentifier"),
                                days,
                                Boolean.TRUE.equals(p.bool("Manual"))));
            }
            case "DescribeEncryptionCoverage" ->
                ResourceXml.coverage(
                        w,
                        clusters.coverage(
                                caller,
                                region,
                                p.required("ClusterIdentifier"),
                                !Boolean.FALSE.equals(p.bool("Refresh"))));
            case "DescribeClusterShredding" ->
                ShredXml.write(w, clusters.shredReport(caller, region, p.required("ClusterIdentifier")));
            case "CreateClusterParameterGroup" ->
                ResourceXml.parameterGroup(
                        w,
                        clusters.parameterGroups()
                                .create(
                                        caller,
                                        region,
                                        p.required("ParameterGroupName"),
                                        p.required("ParameterGroupFamily"),
                                        p.required("Description"),
                                        p.tags()));
            case "DescribeClusterParameterGroups" ->
                page(
                        w,
                        p,
                        clusters.parameterGroups().describe(caller, region, p.get("ParameterGroupName")).stream()
                                .filter(g -> ClusterManager.tagged(g.tags(), tagKeys(p), tagValues(p)))
                                .toList(),
                        "ParameterGroups",
                        ResourceXml::parameterGroup);
            case "DescribeClusterParameters" ->
                page(
                        w,
                        p,
                        clusters.parameterGroups()
                                .parameters(caller, region, p.required("ParameterGroupName"), p.get("Source")),
                        "Parameters",
                        ResourceXml::parameter);
            case "ModifyClusterParameterGroup" -> {
                Map<String, String> changes = new LinkedHashMap<>();
                for (int i = 1; p.has("Parameters.Parameter." + i + ".ParameterName"); i++) {
                    String value = p.get("Parameters.Parameter." + i + ".ParameterValue");
                    if (value == null) {
                        throw RedshiftApiException.missing("Parameters.Parameter." + i + ".ParameterValue");
                    }
                    changes.put(p.required("Parameters.Parameter." + i + ".ParameterName"), value);
                }
                String name = p.required("ParameterGroupName");
                clusters.parameterGroups().modify(caller, region, name, changes);
                ResourceXml.parameterGroupStatus(w, name);
            }
            case "ResetClusterParameterGroup" -> {
                List<String> names = new ArrayList<>();
                for (int i = 1; p.has("Parameters.Parameter." + i + ".ParameterName"); i++) {
                    names.add(p.required("Parameters.Parameter." + i + ".ParameterName"));
                }
                String name = p.required("ParameterGroupName");
                clusters.parameterGroups()
                        .reset(caller, region, name, Boolean.TRUE.equals(p.bool("ResetAllParameters")), names);
                ResourceXml.parameterGroupStatus(w, name);
            }
            case "DeleteClusterParameterGroup" ->
                clusters.parameterGroups().delete(caller, region, p.required("ParameterGroupName"));
            case "CreateHsmClientCertificate" ->
                ResourceXml.hsmCertificate(
                        w,
                        clusters.createHsmClientCertificate(
                                caller, region, p.required("HsmClientCertificateIdentifier"), p.tags()));
            case "DescribeHsmClientCertificates" ->
                page(
                        w,
                        p,
                        clusters
                                .describeHsmClientCertificates(caller, region, p.get("HsmClientCertificateIdentifier"))
                                .stream()
                                .filter(c -> ClusterManager.tagged(c.tags(), tagKeys(p), tagValues(p)))
                                .toList(),
                        "HsmClientCertificates",
                        ResourceXml::hsmCertificate);
            case "DeleteHsmClientCertificate" ->
                clusters.deleteHsmClientCertificate(caller, region, p.required("HsmClientCertificateIdentifier"));
            case "CreateHsmConfiguration" ->
                ResourceXml.hsmConfiguration(
                        w,
                        clusters.createHsmConfiguration(
                                caller,
                                region,
                                p.required("HsmConfigurationIdentifier"),
                                p.required("Description"),
                                p.required("HsmIpAddress"),
                                p.required("HsmPartitionName"),
                                p.required("HsmPartitionPassword"),
                                p.required("HsmServerPublicCertificate"),
                                p.tags()));
            case "DescribeHsmConfigurations" ->
                page(
                        w,
                        p,
                        clusters.describeHsmConfigurations(caller, region, p.get("HsmConfigurationIdentifier")).stream()
                                .filter(c -> ClusterManager.tagged(c.tags(), tagKeys(p), tagValues(p)))
                                .toList(),
                        "HsmConfigurations",
                        ResourceXml::hsmConfiguration);
            case "DeleteHsmConfiguration" ->
                clusters.deleteHsmConfiguration(caller, region, p.required("HsmConfigurationIdentifier"));
            default ->
                throw new RedshiftApiException(
                        ErrorCode.NOT_IMPLEMENTED,
                        "InvalidAction",
                        400,
                        "The action " + action + " is not valid for this web service (or not supported yet).");
        }
        w.close(action + "Result");
        w.open("ResponseMetadata").text("RequestId", requestId).close("ResponseMetadata");
        return w.close(action + "Response").toString();
    }

    private static List<String> tagKeys(QueryParams p) {
        return p.members("TagKeys.TagKey");
    }

    private static List<String> tagValues(QueryParams p) {
        return p.members("TagValues.TagValue");
    }

    /** A refused request in the audit trail, as CloudTrail records one: who claimed to call, from where, why refused. */
    private void auditRefusal(
            HttpExchange ex,
            String requestId,
            @Nullable String action,
            @Nullable String accessKeyId,
            String from,
            RedshiftApiException refused) {
        AuditLog log = audit;
        if (log == null) {
            return;
        }
        try {
            AuditEvent ev = new AuditEvent(
                    requestId,
                    UUID.randomUUID().toString(),
                    requestClock.instant(),
                    action == null || action.isBlank() ? "Unknown" : action);
            ev.eventSource("redshift.amazonaws.com");
            String agent = ex.getRequestHeaders().getFirst("User-Agent");
            ev.source(from, agent == null ? "" : agent);
            if (accessKeyId != null && !accessKeyId.equals("?")) {
                ev.claimedAccessKey(accessKeyId);
            }
            ev.error(refused.wireCode(), "the request's signature was refused");
            log.append(ev);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, () -> "cannot audit refused request " + requestId + ": " + e);
        }
    }

    private static void copyGrant(XmlWriter w, ClusterManager.CopyGrantView g) {
        w.open("SnapshotCopyGrant");
        copyGrantFields(w, g);
        w.close("SnapshotCopyGrant");
    }

    private static void copyGrantFields(XmlWriter w, ClusterManager.CopyGrantView g) {
        w.text("SnapshotCopyGrantName", g.name()).text("KmsKeyId", g.keyArn()).empty("Tags");
    }

    private static void cluster(XmlWriter w, ClusterView v) {
        ClusterXml.cluster(w, v);
    }

    /** The ResizeProgressMessage members, directly in the result. */
    private static void resize(XmlWriter w, ResizeProgress r) {
        w.text("TargetNodeType", r.targetNodeType());
        w.text("TargetNumberOfNodes", r.targetNumberOfNodes());
        w.text("TargetClusterType", r.targetClusterType());
        w.text("Status", r.status());
        w.empty("ImportTablesCompleted");
        w.empty("ImportTablesInProgress");
        w.empty("ImportTablesNotStarted");
        w.text("AvgResizeRateInMegaBytesPerSecond", Double.toString(r.rateMegaBytes()));
        w.text("TotalResizeDataInMegaBytes", Math.round(r.totalMegaBytes()));
        w.text("ProgressInMegaBytes", Math.round(r.progressMegaBytes()));
        w.text("ElapsedTimeInSeconds", r.elapsedSeconds());
        w.text("EstimatedTimeToCompletionInSeconds", r.etaSeconds());
        w.text("ResizeType", r.resizeType());
        if (r.message() != null) {
            w.text("Message", StrongroomException.forClient(r.message()));
        }
        w.text("TargetEncryptionType", r.targetEncryptionType());
        w.text(
                "DataTransferProgressPercent",
                Double.toString(r.totalMegaBytes() == 0 ? 0 : 100.0 * r.progressMegaBytes() / r.totalMegaBytes()));
    }

    private void snapshot(XmlWriter w, SnapshotView v) {
        SnapshotXml.snapshot(w, v, requestClock.instant());
    }

    private static ClusterRequests.Create create(QueryParams p) {
        return new ClusterRequests.Create(
                p.required("ClusterIdentifier"),
                p.required("NodeType"),
                p.get("ClusterType"),
                p.integer("NumberOfNodes"),
                p.required("MasterUsername"),
                p.get("MasterUserPassword"),
                p.get("DBName"),
                p.integer("Port"),
                p.bool("Encrypted"),
                p.get("KmsKeyId"),
                p.tags(),
                p.integer("AutomatedSnapshotRetentionPeriod"),
                p.integer("ManualSnapshotRetentionPeriod"),
                hsm(p),
                p.get("ClusterParameterGroupName"));
    }

    private static ClusterRequests.@Nullable Hsm hsm(QueryParams p) {
        String cert = p.get("HsmClientCertificateIdentifier");
        String config = p.get("HsmConfigurationIdentifier");
        return cert == null && config == null ? null : new ClusterRequests.Hsm(cert, config);
    }

    private static ClusterRequests.Modify modify(QueryParams p) {
        return new ClusterRequests.Modify(
                p.required("ClusterIdentifier"),
                p.get("NewClusterIdentifier"),
                p.get("MasterUserPassword"),
                p.get("NodeType"),
                p.get("ClusterType"),
                p.integer("NumberOfNodes"),
                p.bool("Encrypted"),
                p.get("KmsKeyId"),
                p.integer("AutomatedSnapshotRetentionPeriod"),
                p.integer("ManualSnapshotRetentionPeriod"),
                hsm(p),
                p.get("ClusterParameterGroupName"));
    }

    private static void describeClusters(XmlWriter w, QueryParams p, List<ClusterView> all) {
        page(w, p, all, "Clusters", ClusterXml::cluster);
    }

    private void describeEvents(XmlWriter w, QueryParams p, Credential caller, String region) {
        List<ClusterEvent> events = clusters.events(
                caller,
                region,
                new ClusterRequests.Events(
                        p.get("SourceIdentifier"),
                        p.get("SourceType"),
                        p.timestamp("StartTime"),
                        p.timestamp("EndTime"),
                        p.integer("Duration")));
        page(w, p, events, "Events", ClusterXml::event);
    }

    /** Writes one page of {@code items} under {@code wrapper}, with a Marker (an offset) when more follow. */
    private static <T> void page(
            XmlWriter w, QueryParams p, List<T> items, String wrapper, BiConsumer<XmlWriter, T> one) {
        Integer max = p.integer("MaxRecords");
        if (max != null && (max < 20 || max > 100)) {
            throw RedshiftApiException.invalidParameter("MaxRecords must be between 20 and 100.");
        }
        int size = max == null ? 100 : max;
        int from = 0;
        String marker = p.get("Marker");
        if (marker != null) {
            try {
                from = Integer.parseInt(marker);
            } catch (NumberFormatException e) {
                throw RedshiftApiException.invalidParameter("Marker " + marker + " is not valid.");
            }
            if (from < 0 || from > items.size()) {
                throw RedshiftApiException.invalidParameter("Marker " + marker + " is not valid.");
            }
        }
        int to = Math.min(items.size(), from + size);
        if (to < items.size()) {
            w.text("Marker", Integer.toString(to));
        }
        if (from == to) {
            w.empty(wrapper);
            return;
        }
        w.open(wrapper);
        for (T item : items.subList(from, to)) {
            one.accept(w, item);
        }
        w.close(wrapper);
    }

    /** The access key id an Authorization header names (letters and digits only, at most 32), or {@code -}. */
    static String accessKeyIdOf(@Nullable String authorization) {
        if (authorization == null) {
            return "-";
        }
        int at = authorization.indexOf("Credential=");
        if (at < 0) {
            return "-";
        }
        StringBuilder id = new StringBuilder();
        for (int i = at + "Credential=".length(); i < authorization.length() && id.length() < 32; i++) {
            char c = authorization.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                break;
            }
            id.append(c);
        }
        return id.length() == 0 ? "-" : id.toString();
    }

    /** The Query protocol's answer to a signature failure found by the shared SigV4 verifier. */
    private static RedshiftApiException authError(SigV4Exception e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        return switch (e.reason()) {
            case MISSING_TOKEN ->
                new RedshiftApiException(
                        ErrorCode.ACCESS_DENIED, "MissingAuthenticationToken", 403, "Missing Authentication Token");
            case INCOMPLETE -> new RedshiftApiException(ErrorCode.ACCESS_DENIED, "IncompleteSignature", 400, m);
            case UNKNOWN_ACCESS_KEY ->
                new RedshiftApiException(
                        ErrorCode.ACCESS_DENIED,
                        "InvalidClientTokenId",
                        403,
                        "The security token included in the request is invalid.");
            case EXPIRED -> new RedshiftApiException(ErrorCode.ACCESS_DENIED, "RequestExpired", 400, m);
            case MISMATCH -> new RedshiftApiException(ErrorCode.ACCESS_DENIED, "SignatureDoesNotMatch", 403, m);
        };
    }

    /** {@code message} without server paths; the full message is logged with the request id when they differ. */
    private static @Nullable String forClient(@Nullable String message, String requestId) {
        if (message == null) {
            return null;
        }
        String shown = StrongroomException.forClient(message);
        if (!shown.equals(message)) {
            LOG.log(System.Logger.Level.WARNING, () -> "request " + requestId + ": " + message);
        }
        return shown;
    }

    /**
     * The answer to a failure inside the control plane (a 500): one log line with the request id and the stack, and
     * a message that gives the client the id to quote instead of the detail, which may name classes and paths.
     */
    private static String internalFailure(String wireCode, String requestId, Throwable e) {
        LOG.log(Level.ERROR, "Redshift API request " + requestId + " failed inside the control plane", e);
        boolean retryable = e instanceof StrongroomException s && s.code().retryable();
        return error(
                "Receiver",
                wireCode,
                "The request failed inside the control plane" + (retryable ? " and may succeed if retried later" : "")
                        + "; the server log has the detail under request id " + requestId + ".",
                requestId);
    }

    static String error(String type, String code, @Nullable String message, String requestId) {
        XmlWriter w = new XmlWriter().root("ErrorResponse");
        w.open("Error").text("Type", type).text("Code", code).text("Message", message == null ? "" : message);
        w.close("Error");
        w.text("RequestId", requestId);
        return w.close("ErrorResponse").toString();
    }

    @Override
    public String toString() {
        return "RedshiftHttpHandler[" + clusters + "]";
    }
}
