package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The README's HSM first session, run as a new user would: {@code STRONGROOM_HSM=embedded strongroom up} in a
 * process of its own (the launcher's command line: {@code io.strongroom.server.Main up} on the build's class path,
 * with {@code SOFTHSM2_CONF} in the data directory as {@code ./strongroom} sets it; the script itself is not run, as
 * it may build the project), then the README's commands one after another ({@code strongroom env}, the AWS CLI
 * ({@code /usr/bin/aws}), {@code strongroom hsm client register|assign}, {@code strongroom hsm server-cert}, {@code
 * strongroom ca}, psql), through to a ds2 HSM cluster answering SQL.
 */
class EmbeddedHsmIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path AWS = Path.of("/usr/bin/aws");
    private static final Path PSQL = Path.of("/usr/bin/psql");

    private Path home;
    private Path work;
    private Process up;

    @AfterEach
    void stop() throws Exception {
        if (up != null) {
            up.destroy();
            if (!up.waitFor(60, TimeUnit.SECONDS)) {
                up.destroyForcibly();
                up.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (home != null) {
            try (Stream<Path> s = Files.walk(home.getParent())) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The environment of every {@code strongroom} command here: the data directory and the ports of this run. */
    private Map<String, String> strongroomEnv(int apiPort, int kmsPort, int hsmPort) {
        Map<String, String> env = new HashMap<>();
        env.put("STRONGROOM_HOME", home.toString());
        env.put("STRONGROOM_PORT", String.valueOf(apiPort));
        env.put("STRONGROOM_KMS_PORT", String.valueOf(kmsPort));
        env.put("STRONGROOM_HSM", "embedded");
        env.put("STRONGROOM_HSM_PORT", String.valueOf(hsmPort));
        // What ./strongroom does for `up` with STRONGROOM_HSM=embedded and for `hsm`.
        env.put(
                "SOFTHSM2_CONF",
                home.resolve("hsm-gateway")
                        .resolve("softhsm")
                        .resolve("softhsm2.conf")
                        .toString());
        return env;
    }

    private static ProcessBuilder strongroom(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("STRONGROOM_"));
        pb.environment().remove("SOFTHSM2_CONF");
        pb.environment().putAll(env);
        return pb;
    }

    /** Runs a command to its end; its standard output, after checking it exited 0. */
    private String run(ProcessBuilder pb) throws Exception {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = pb.directory(work.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(pb.command() + " did not finish in 120 s");
        }
        assertThat(p.exitValue())
                .as("%s; stdout: %s; stderr: %s", pb.command(), Files.readString(out), Files.readString(err))
                .isZero();
        return Files.readString(out);
    }

    private ProcessBuilder aws(Map<String, String> cli, String... args) {
        List<String> cmd = new ArrayList<>(List.of(AWS.toString(), "--endpoint-url", cli.get("STRONGROOM_ENDPOINT")));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
        pb.environment().putAll(cli);
        pb.environment().put("AWS_CONFIG_FILE", "/dev/null");
        pb.environment().put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        pb.environment().put("AWS_PAGER", "");
        return pb;
    }

    @Test
    void readmeHsmFirstSession_embeddedGateway_toAnHsmClusterAnsweringSql() throws Exception {
        assertThat(AWS).as("the AWS CLI v2 (apt-get install -y awscli)").isExecutable();
        assertThat(PSQL).as("psql (apt-get install -y postgresql-client)").isExecutable();
        Path base = Files.createTempDirectory("strongroom-embedded-hsm");
        home = base.resolve(".strongroom");
        work = Files.createDirectories(base.resolve("work"));
        int hsmPort = freePort();
        Map<String, String> env = strongroomEnv(freePort(), freePort(), hsmPort);
        Files.createDirectories(home.resolve("hsm-gateway").resolve("softhsm"));

        // STRONGROOM_HSM=embedded ./strongroom up
        ProcessBuilder upCommand = strongroom(env, "up").redirectErrorStream(true);
        up = upCommand.directory(work.toFile()).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        StringBuilder upOutput = new StringBuilder();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    synchronized (upOutput) {
                        upOutput.append(l).append('\n');
                    }
                    lines.add(l);
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        String gatewayLine = await(lines, Pattern.compile("(HSM gateway \\(embedded, SoftHSM2\\): KMIP on .*)"));
        assertThat(gatewayLine).contains("127.0.0.1:" + hsmPort).contains("partition embedded");
        await(lines, Pattern.compile("(running; press Ctrl-C to stop)"));

        // eval "$(./strongroom env)"
        Map<String, String> cli = new HashMap<>();
        for (String line : run(strongroom(env, "env")).lines().toList()) {
            if (line.startsWith("export ")) {
                for (String assignment : line.substring("export ".length()).split(" ")) {
                    int eq = assignment.indexOf('=');
                    cli.put(assignment.substring(0, eq), assignment.substring(eq + 1));
                }
            }
        }
        assertThat(cli).containsKeys("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "STRONGROOM_ENDPOINT");

        // The README's HSM commands.
        String pem = run(aws(
                cli,
                "redshift",
                "create-hsm-client-certificate",
                "--hsm-client-certificate-identifier",
                "cert1",
                "--query",
                "HsmClientCertificate.HsmClientCertificatePublicKey",
                "--output",
                "text"));
        Files.writeString(work.resolve("cert1.pem"), pem);
        assertThat(run(strongroom(env, "hsm", "client", "register", "--name", "cert1", "--cert", "cert1.pem")))
                .contains("client cert1 registered");
        run(strongroom(env, "hsm", "client", "assign", "--name", "cert1", "--partition", "embedded"));
        String password = Files.readString(home.resolve("hsm-gateway").resolve("embedded.password"))
                .strip();
        String serverCert = run(strongroom(env, "hsm", "server-cert"));
        run(aws(
                cli,
                "redshift",
                "create-hsm-configuration",
                "--hsm-configuration-identifier",
                "hsm1",
                "--description",
                "embedded HSM",
                "--hsm-ip-address",
                "127.0.0.1:" + hsmPort,
                "--hsm-partition-name",
                "embedded",
                "--hsm-partition-password",
                password,
                "--hsm-server-public-certificate",
                serverCert));
        run(aws(
                cli,
                "redshift",
                "create-cluster",
                "--cluster-identifier",
                "dw-hsm",
                "--node-type",
                "ds2.xlarge",
                "--master-username",
                "admin",
                "--master-user-password",
                "Passw0rdX",
                "--hsm-client-certificate-identifier",
                "cert1",
                "--hsm-configuration-identifier",
                "hsm1"));
        run(aws(cli, "redshift", "wait", "cluster-available", "--cluster-identifier", "dw-hsm"));
        JsonNode described = JSON.readTree(run(aws(
                cli,
                "redshift",
                "describe-clusters",
                "--cluster-identifier",
                "dw-hsm",
                "--query",
                "Clusters[0].[ClusterStatus,HsmStatus,Endpoint.Port,Encrypted]",
                "--output",
                "json")));
        assertThat(described.get(0).asText()).isEqualTo("available");
        assertThat(described.get(1).path("Status").asText()).isEqualTo("active");
        assertThat(described.get(1).path("HsmConfigurationIdentifier").asText()).isEqualTo("hsm1");
        assertThat(described.get(3).asBoolean()).isTrue();
        int port = described.get(2).asInt();

        // ./strongroom ca > ca.pem; psql ... sslmode=verify-full sslrootcert=ca.pem
        Files.writeString(work.resolve("ca.pem"), run(strongroom(env, "ca")));
        String dsn = "host=127.0.0.1 port=" + port + " user=admin dbname=dev sslmode=verify-full sslrootcert=ca.pem";
        ProcessBuilder psql = new ProcessBuilder(
                PSQL.toString(),
                dsn,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                "CREATE TABLE sales (id BIGINT, region VARCHAR(8), amount DECIMAL(12,2))",
                "-c",
                "INSERT INTO sales VALUES (1, 'east', 10.50), (2, 'west', 20.00), (3, 'east', 4.25)",
                "-c",
                "SELECT region, count(*), sum(amount) FROM sales GROUP BY region ORDER BY region");
        psql.environment().put("PGPASSWORD", "Passw0rdX");
        assertThat(run(psql)).as("up: %s", upOutput).contains("east|2|14.75").contains("west|1|20.00");

        // The key is in the embedded partition, on the token in the data directory.
        assertThat(home.resolve("hsm-gateway")
                        .resolve("partitions")
                        .resolve("embedded")
                        .resolve("objects"))
                .content()
                .contains("key ");
    }

    private static String await(BlockingQueue<String> lines, Pattern p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        List<String> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                seen.add(line);
                Matcher m = p.matcher(line);
                if (m.find()) {
                    return m.group(1);
                }
            }
        }
        throw new AssertionError("strongroom up printed no line matching " + p + " within 120 s: " + seen);
    }
}
