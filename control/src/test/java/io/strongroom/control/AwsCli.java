package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real AWS CLI v2 ({@code /usr/bin/aws}) pointed at a control plane: each call a fresh process with the given
 * credentials and region, no profile, pager, metadata service or retries, its output captured in {@code work}.
 */
final class AwsCli {
    static final Path AWS = Path.of("/usr/bin/aws");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI endpoint;
    private final Path work;

    /** What one call printed and returned. */
    record Result(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("CLI output is not JSON: " + out + " / " + err, e);
            }
        }

        Result ok() {
            assertThat(exit).as("aws exit code; stderr: %s", err).isZero();
            return this;
        }

        Result failsWith(String code) {
            assertThat(exit).as("aws should fail; stdout: %s", out).isNotZero();
            assertThat(err).contains(code);
            return this;
        }
    }

    /** Fails (these tests never skip) when the CLI is not installed. */
    AwsCli(URI endpoint, Path work) {
        if (!Files.isExecutable(AWS)) {
            fail("/usr/bin/aws (AWS CLI v2) is missing: install it with `apt-get install -y awscli` (see"
                    + " reference/real-parts.md §0); these tests do not skip");
        }
        this.endpoint = endpoint;
        this.work = work;
    }

    Result run(String region, String akid, String secret, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(AWS.toString(), "--endpoint-url", endpoint.toString()));
        cmd.addAll(List.of("--region", region, "--output", "json"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile());
        Map<String, String> env = pb.environment();
        env.put("AWS_ACCESS_KEY_ID", akid);
        env.put("AWS_SECRET_ACCESS_KEY", secret);
        env.put("AWS_DEFAULT_REGION", region);
        env.put("AWS_PAGER", "");
        env.put("AWS_CONFIG_FILE", "/dev/null");
        env.put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_MAX_ATTEMPTS", "1");
        env.remove("AWS_SESSION_TOKEN");
        env.remove("AWS_PROFILE");
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("aws " + String.join(" ", args) + " did not finish in 90 s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
