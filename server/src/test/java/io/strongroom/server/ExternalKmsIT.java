package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.aws.Credential;
import io.strongroom.aws.CredentialStore;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.kms.AuditTrail;
import io.strongroom.kms.KmsMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.redshift.RedshiftClient;
import software.amazon.awssdk.services.redshift.model.Cluster;

/**
 * A control plane whose KMS is reached only by endpoint and standard AWS credentials: a Strongroom KMS runs in one
 * process with its own accounts; {@code strongroom up} runs in another with {@code STRONGROOM_KMS_ENDPOINT}, {@code
 * STRONGROOM_KMS_SERVICE_ARN} and the service principal's access key in the environment (the SDK's default chain),
 * and keeps API accounts of its own. The KMS's key policy lets the service principal use one key; a cluster
 * encrypted under it serves SQL and survives a reboot (keys reloaded from the other process), the KMS's audit trail
 * shows every use signed by the service principal, and a key the policy does not open is refused with a message
 * that says what to change.
 */
class ExternalKmsIT {
    private static final String SERVICE_ACCOUNT = "222233334444";

    private Path dir;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("strongroom-extkms");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void clusterUnderAKmsReachedOnlyByEndpoint_servesSql_survivesReboot_andEveryKmsCallIsTheServices()
            throws Exception {
        // The KMS's side: its own accounts (an admin, and a principal for the warehouse service in another account).
        Path kmsDir = dir.resolve("kms");
        CredentialStore kmsAccounts = CredentialStore.open(kmsDir, new SecureRandom());
        Credential kmsAdmin = kmsAccounts.admin();
        Credential service = kmsAccounts.add(SERVICE_ACCOUNT, "role/strongroom-warehouse");
        Child kms = start(List.of(KmsMain.class.getName(), "--data-dir", kmsDir.toString(), "--port", "0"), Map.of());
        URI kmsEndpoint = URI.create(kms.await(Pattern.compile("Strongroom KMS listening on (\\S+)")));

        String keyArn;
        String closedKeyArn;
        try (KmsClient keys = kmsClient(kmsEndpoint, kmsAdmin)) {
            keyArn = keys.createKey(r -> r.description("warehouse root key"))
                    .keyMetadata()
                    .arn();
            keys.putKeyPolicy(r -> r.keyId(keyArn).policyName("default").policy(policyAllowing(kmsAdmin, service)));
            closedKeyArn = keys.createKey(r -> r.description("not for the warehouse"))
                    .keyMetadata()
                    .arn();
        }

        // The warehouse's side: only the endpoint, the service principal's ARN and its access key (environment).
        Path home = dir.resolve("warehouse");
        Child up = start(
                List.of(Main.class.getName(), "up"),
                Map.of(
                        "STRONGROOM_HOME", home.toString(),
                        "STRONGROOM_PORT", "0",
                        "STRONGROOM_KMS_ENDPOINT", kmsEndpoint.toString(),
                        "STRONGROOM_KMS_SERVICE_ARN", service.principalArn(),
                        "AWS_ACCESS_KEY_ID", service.accessKeyId(),
                        "AWS_SECRET_ACCESS_KEY", service.secretAccessKey(),
                        "AWS_EC2_METADATA_DISABLED", "true"));
        URI endpoint = URI.create(up.await(Pattern.compile("Strongroom control plane listening on (\\S+)")));
        up.await(Pattern.compile("(running); press Ctrl-C to stop"));
        Path accountsFile = home.resolve("control").resolve("accounts").resolve(CredentialStore.FILE);
        assertThat(accountsFile)
                .as("the control plane keeps API accounts of its own")
                .exists();
        Credential apiAdmin = CredentialStore.open(accountsFile.getParent(), new SecureRandom())
                .admin();
        assertThat(apiAdmin.accessKeyId()).isNotIn(kmsAdmin.accessKeyId(), service.accessKeyId());

        try (RedshiftClient redshift = redshift(endpoint, apiAdmin)) {
            // A key the policy does not open for the service: refused, and the message says what to change.
            assertThatThrownBy(() -> redshift.createCluster(r -> r.clusterIdentifier("closed")
                            .nodeType("ra3.xlplus")
                            .masterUsername("admin")
                            .masterUserPassword("Passw0rdX")
                            .encrypted(true)
                            .kmsKeyId(closedKeyArn)))
                    .hasMessageContaining(closedKeyArn)
                    .hasMessageContaining("as " + service.principalArn())
                    .hasMessageContaining("key policy or a grant must allow DescribeKey and CreateGrant");

            redshift.createCluster(r -> r.clusterIdentifier("dw1")
                    .nodeType("ra3.xlplus")
                    .masterUsername("admin")
                    .masterUserPassword("Passw0rdX")
                    .encrypted(true)
                    .kmsKeyId(keyArn));
            Cluster c = waitAvailable(redshift, "dw1");
            assertThat(c.encrypted()).isTrue();
            assertThat(c.kmsKeyId()).isEqualTo(keyArn);
            int port = c.endpoint().port();
            try (Connection conn = connect(port);
                    Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE t (id BIGINT, s VARCHAR(20))");
                StringBuilder values = new StringBuilder("INSERT INTO t VALUES ");
                for (int i = 1; i <= 5000; i++) {
                    values.append(i == 1 ? "" : ", ")
                            .append("(")
                            .append(i)
                            .append(", 'row")
                            .append(i)
                            .append("')");
                }
                st.execute(values.toString());
            }
            redshift.rebootCluster(r -> r.clusterIdentifier("dw1"));
            waitAvailable(redshift, "dw1");
            try (Connection conn = connect(port);
                    Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*), sum(id) FROM t")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(5000);
                assertThat(rs.getLong(2)).isEqualTo(5000L * 5001 / 2);
            }
        }

        // The KMS saw every call from the service principal, under the cluster's encryption context.
        List<AuditRecord> uses =
                AuditTrail.ofDataDir(kmsDir).query(AuditQuery.all().withKey(keyArn));
        List<String> names = uses.stream().map(AuditRecord::eventName).toList();
        assertThat(names).contains("DescribeKey", "CreateGrant", "GenerateDataKey", "Decrypt");
        assertThat(uses)
                .filteredOn(r ->
                        !r.eventName().equals("PutKeyPolicy") && !r.eventName().equals("CreateKey"))
                .allSatisfy(r -> assertThat(r.principalArn()).isEqualTo(service.principalArn()));
        assertThat(uses)
                .filteredOn(r -> r.eventName().equals("Decrypt") && r.errorCode() == null)
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.encryptionContext().values()).anyMatch(v -> v.endsWith(":dw1")));
    }

    /** The default policy (the owning account may do everything) plus what Redshift needs, for the service. */
    private static String policyAllowing(Credential owner, Credential service) {
        return """
                {"Version": "2012-10-17", "Statement": [
                  {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root"},
                   "Action": "kms:*", "Resource": "*"},
                  {"Sid": "warehouse", "Effect": "Allow", "Principal": {"AWS": "%s"},
                   "Action": ["kms:DescribeKey", "kms:CreateGrant"], "Resource": "*"}
                ]}""".formatted(owner.accountId(), service.principalArn());
    }

    private static Cluster waitAvailable(RedshiftClient redshift, String id) throws InterruptedException {
        Cluster[] last = new Cluster[1];
        waitFor(() -> {
            last[0] = redshift.describeClusters(r -> r.clusterIdentifier(id))
                    .clusters()
                    .get(0);
            return last[0].clusterStatus().equals("available");
        });
        return last[0];
    }

    private static void waitFor(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static Connection connect(int port) throws Exception {
        return ServerStack.connect(port, ServerStack.MASTER_PASSWORD);
    }

    private static KmsClient kmsClient(URI endpoint, Credential c) {
        return ServerStack.kmsClient(endpoint, c, Region.US_EAST_1);
    }

    private static RedshiftClient redshift(URI endpoint, Credential c) {
        return ServerStack.redshiftClient(endpoint, c, Region.US_EAST_1);
    }

    /** A child JVM on this test's class path, its output read line by line on a thread of its own. */
    private record Child(Process process, BlockingQueue<String> lines) {
        String await(Pattern p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    Matcher m = p.matcher(line);
                    if (m.find()) {
                        return m.group(1);
                    }
                } else if (!process.isAlive()) {
                    throw new AssertionError("the child exited (" + process.exitValue() + ") before printing " + p);
                }
            }
            throw new AssertionError("the child printed no line matching " + p + " within 60 s");
        }
    }

    private Child start(List<String> mainAndArgs, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path")));
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        // Nothing of this test's own AWS settings may leak into the child: only what is given here.
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("STRONGROOM_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    System.out.println("[child] " + line);
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child's output closed
            }
        });
        return new Child(p, lines);
    }
}
