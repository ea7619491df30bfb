package io.strongroom.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.redshift.model.ClusterNotFoundException;
import software.amazon.awssdk.services.redshift.model.RedshiftException;

class WatchCommandTest {
    private static final Map<String, String> CREDENTIALS =
            Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "secret");

    @Test
    void parse_defaults_watchEveryClusterOfTheLocalEndpointEveryTwoSeconds() {
        WatchCommand.Options o = WatchCommand.parse(new String[0], Map.of());

        assertThat(o.endpoint()).isEqualTo(URI.create("http://127.0.0.1:4566"));
        assertThat(o.region()).isEqualTo(Region.US_EAST_1);
        assertThat(o.cluster()).isNull();
        assertThat(o.interval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.once()).isFalse();
        assertThat(o.follow()).isFalse();
    }

    @Test
    void parse_takesEndpointAndRegionFromTheEnvironment_andFlagsOverrideThem() {
        Map<String, String> env = Map.of(
                "STRONGROOM_ENDPOINT", "http://127.0.0.1:5000",
                "AWS_ENDPOINT_URL", "http://elsewhere:1",
                "AWS_DEFAULT_REGION", "eu-west-1");

        WatchCommand.Options fromEnv = WatchCommand.parse(new String[] {"dw1"}, env);
        WatchCommand.Options fromFlags = WatchCommand.parse(
                new String[] {"--endpoint-url=https://h:6000", "--region", "us-west-2", "--interval", "0.5", "--once"},
                env);

        assertThat(fromEnv.endpoint()).isEqualTo(URI.create("http://127.0.0.1:5000"));
        assertThat(fromEnv.region()).isEqualTo(Region.EU_WEST_1);
        assertThat(fromEnv.cluster()).isEqualTo("dw1");
        assertThat(fromEnv.target()).isEqualTo("on cluster dw1 at http://127.0.0.1:5000");
        assertThat(fromFlags.endpoint()).isEqualTo(URI.create("https://h:6000"));
        assertThat(fromFlags.region()).isEqualTo(Region.US_WEST_2);
        assertThat(fromFlags.interval()).isEqualTo(Duration.ofMillis(500));
        assertThat(fromFlags.once()).isTrue();
    }

    @Test
    void parse_localEndpointFollowsStrongroomPort() {
        assertThat(WatchCommand.parse(new String[0], Map.of("STRONGROOM_PORT", "4600"))
                        .endpoint())
                .isEqualTo(URI.create("http://127.0.0.1:4600"));
    }

    @Test
    void parse_rejectsWhatItCannotUse() {
        assertThatThrownBy(() -> WatchCommand.parse(new String[] {"--interval", "0"}, Map.of()))
                .hasMessageContaining("--interval must be between");
        assertThatThrownBy(() -> WatchCommand.parse(new String[] {"--interval", "soon"}, Map.of()))
                .hasMessageContaining("--interval takes seconds");
        assertThatThrownBy(() -> WatchCommand.parse(new String[] {"--interval"}, Map.of()))
                .hasMessageContaining("missing value after --interval");
        assertThatThrownBy(() -> WatchCommand.parse(new String[] {"--fast"}, Map.of()))
                .hasMessageContaining("unknown option --fast");
        assertThatThrownBy(() -> WatchCommand.parse(new String[] {"dw1", "dw2"}, Map.of()))
                .hasMessageContaining("one cluster identifier at most");
        assertThatThrownBy(() -> WatchCommand.parse(new String[] {"--once", "--follow"}, Map.of()))
                .hasMessageContaining("exclude each other");
        assertThatThrownBy(() -> WatchCommand.parse(new String[] {"--endpoint-url", "127.0.0.1:4566"}, Map.of()))
                .hasMessageContaining("http:// or https:// URL");
    }

    @Test
    void run_usageError_exitsTwoWithOneLine() {
        Output o = new Output();

        int status = WatchCommand.run(new String[] {"--bogus"}, CREDENTIALS, o.out, o.err, false);

        assertThat(status).isEqualTo(2);
        assertThat(o.err()).isEqualTo("strongroom watch: unknown option --bogus; see strongroom help\n");
        assertThat(o.out()).isEmpty();
    }

    @Test
    void run_endpointDown_exitsOneWithOneLineSayingWhatToDo_andNoStackTrace() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again at once: nothing listens there
        }
        Output o = new Output();

        int status = WatchCommand.run(
                new String[] {"--once", "--endpoint-url", "http://127.0.0.1:" + port},
                CREDENTIALS,
                o.out,
                o.err,
                false);

        assertThat(status).isEqualTo(1);
        assertThat(o.err())
                .startsWith("strongroom watch: cannot reach the Redshift API at http://127.0.0.1:" + port)
                .contains("./strongroom up")
                .doesNotContain("\tat ")
                .hasLineCount(1);
        assertThat(o.out()).isEmpty();
    }

    @Test
    void explain_rejectedCredentials_pointsAtStrongroomEnv() {
        WatchCommand.Options options = WatchCommand.parse(new String[0], Map.of());
        RedshiftException denied = (RedshiftException) RedshiftException.builder()
                .statusCode(403)
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode("InvalidClientTokenId")
                        .errorMessage("The security token included in the request is invalid.")
                        .build())
                .build();

        assertThat(WatchCommand.explain(denied, options))
                .startsWith("http://127.0.0.1:4566 rejected the credentials (InvalidClientTokenId: The security token")
                .contains("eval \"$(./strongroom env)\"");
    }

    @Test
    void explain_unknownCluster_namesItAndTheEndpoint() {
        WatchCommand.Options options = WatchCommand.parse(new String[] {"dw9"}, Map.of());
        ClusterNotFoundException missing = ClusterNotFoundException.builder()
                .statusCode(404)
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode("ClusterNotFound")
                        .errorMessage("Cluster dw9 not found.")
                        .build())
                .build();

        assertThat(WatchCommand.explain(missing, options))
                .startsWith("cluster dw9 not found at http://127.0.0.1:4566; list the clusters with");
    }

    @Test
    void explain_unreachable_givesTheRootCause() {
        WatchCommand.Options options = WatchCommand.parse(new String[0], Map.of());
        SdkClientException refused = SdkClientException.builder()
                .message("Unable to execute HTTP request: Connection refused")
                .cause(new ConnectException("Connection refused"))
                .build();

        assertThat(WatchCommand.explain(refused, options))
                .isEqualTo("cannot reach the Redshift API at http://127.0.0.1:4566 (ConnectException: Connection"
                        + " refused); start it with ./strongroom up, or point STRONGROOM_ENDPOINT or --endpoint-url"
                        + " at a running endpoint");
    }

    /** Standard output and error of one run, as text. */
    private static final class Output {
        private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

        String out() {
            return outBytes.toString(StandardCharsets.UTF_8);
        }

        String err() {
            return errBytes.toString(StandardCharsets.UTF_8);
        }
    }
}
