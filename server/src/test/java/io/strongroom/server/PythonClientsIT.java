package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.strongroom.aws.Credential;
import io.strongroom.pgwire.TlsAuthority;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Python clients nobody on this team wrote, against what {@code strongroom up} runs (the KMS, the control plane and
 * the SQL endpoints, in this process): pytest runs the scripts in {@code src/test/python/} with psycopg 3, SQLAlchemy
 * 2.0 (postgresql+psycopg) and boto3, each script making its own cluster through the Redshift API and verifying its
 * certificate against the installation's CA ({@code sslmode=verify-full}).
 *
 * <p>The interpreter is the virtual environment's that {@code scripts/python-venv.sh} makes (cached in
 * ~/.cache/strongroom): {@code ./test} makes it and passes it as {@code STRONGROOM_PYTHON} with {@code
 * STRONGROOM_PYTHON_REQUIRED=1}, and then a missing interpreter fails this test. Run alone (mvn -Dtest, an IDE) it
 * runs the script itself and, only if that cannot make the environment (no python3-venv, no package index), is
 * skipped with the script's message.
 *
 * <p>Each script is one test here, so a report names the client that failed; the pytest output (with every test's
 * outcome, xfail reasons included) is printed and kept in {@code target/python-clients/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PythonClientsIT {
    private static final Path SCRIPTS = Paths.get("src", "test", "python");
    private static final Pattern PASSED = Pattern.compile("(\\d+) passed");

    @RegisterExtension
    static final ServerStack stack = ServerStack.builder("python").build();

    private Path python;

    @BeforeAll
    void start() throws Exception {
        python = interpreter();
        // What `strongroom ca` prints, and a CA nobody should trust.
        stack.ca();
        Files.writeString(
                stack.dir().resolve("other-ca.pem"),
                TlsAuthority.loadOrCreate(stack.dir().resolve("other")).caPem());
    }

    /** STRONGROOM_PYTHON, else what scripts/python-venv.sh makes; fails or skips as the class comment says. */
    private static Path interpreter() throws Exception {
        boolean required = "1".equals(System.getenv("STRONGROOM_PYTHON_REQUIRED"));
        String given = System.getenv("STRONGROOM_PYTHON");
        if (given != null && !given.isBlank()) {
            Path p = Paths.get(given);
            if (!Files.isExecutable(p)) {
                fail("STRONGROOM_PYTHON is " + given + ", which is not an executable: run scripts/python-venv.sh");
            }
            return p;
        }
        if (required) {
            fail("STRONGROOM_PYTHON_REQUIRED=1 but STRONGROOM_PYTHON is not set: ./test sets both from"
                    + " scripts/python-venv.sh");
        }
        Path out = Files.createTempFile("python-venv", ".out");
        Path err = Files.createTempFile("python-venv", ".err");
        try {
            Process p = new ProcessBuilder(
                            Paths.get("..", "scripts", "python-venv.sh").toString())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            boolean done = p.waitFor(10, TimeUnit.MINUTES);
            String path = Files.readString(out).strip();
            Assumptions.assumeTrue(
                    done && p.exitValue() == 0 && !path.isEmpty(),
                    () -> "Skipped outside ./test: scripts/python-venv.sh could not make the Python environment"
                            + " of the client tests (under ./test this fails instead): " + readQuietly(err));
            return Paths.get(path);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /**
     * Runs pytest on one script; passes when pytest does and at least one test passed. Its output is printed and
     * kept in target/python-clients/.
     */
    private void pytest(String script) throws Exception {
        Path reports = Paths.get("target", "python-clients");
        Files.createDirectories(reports);
        Path log = reports.resolve(script.replace(".py", ".log"));
        Credential admin = stack.admin();
        List<String> cmd = new ArrayList<>(List.of(
                python.toString(),
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-rA",
                "-v",
                "--junitxml",
                reports.resolve(script.replace(".py", ".xml")).toString(),
                SCRIPTS.resolve(script).toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("STRONGROOM_ENDPOINT", stack.endpoint().toString());
        env.put("STRONGROOM_ACCESS_KEY_ID", admin.accessKeyId());
        env.put("STRONGROOM_SECRET_ACCESS_KEY", admin.secretAccessKey());
        env.put("STRONGROOM_CA", stack.ca().toString());
        env.put("STRONGROOM_OTHER_CA", stack.dir().resolve("other-ca.pem").toString());
        // Nothing from the machine's own AWS or libpq set-up, and no bytecode written into the source tree.
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.remove("AWS_PROFILE");
        env.remove("PGSSLROOTCERT");
        env.remove("PGSSLMODE");
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        Process p = pb.start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println("---- pytest " + script + " ----\n" + output);
        assertThat(done).as("pytest %s finished within 10 minutes", script).isTrue();
        assertThat(p.exitValue()).as("pytest %s failed:\n%s", script, output).isZero();
        Matcher m = PASSED.matcher(output);
        assertThat(m.find() && Integer.parseInt(m.group(1)) > 0)
                .as("pytest %s ran and passed tests:\n%s", script, output)
                .isTrue();
    }

    @Test
    void psycopg3_tlsVerified_preparedPastTheThreshold_rollback_serverSideCursors() throws Exception {
        pytest("test_psycopg.py");
    }

    @Test
    void sqlalchemy20_connectsVerified_createsHasTableReflects() throws Exception {
        pytest("test_sqlalchemy.py");
    }

    @Test
    void boto3_tagsPauseResumeClusterCredentials_andKmsValidationErrors() throws Exception {
        pytest("test_boto3.py");
    }
}
