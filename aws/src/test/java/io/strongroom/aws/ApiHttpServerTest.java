package io.strongroom.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The shared server set-up: the JDK server's JVM-wide limits in force once a server starts, a value set first kept. */
class ApiHttpServerTest {
    @Test
    void start_putsTheJdkServerLimitsInForce_andServesTheHandler() throws Exception {
        try (ApiHttpServer server = ApiHttpServer.start("127.0.0.1", 0, ApiHttpServer.Limits.DEFAULTS, ex -> {
            byte[] b = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(b);
            }
        })) {
            ApiHttpServer.JDK_SERVER_PROPERTIES.forEach(
                    (k, v) -> assertThat(System.getProperty(k)).as(k).isNotNull());
            assertThat(server.endpoint()).isEqualTo(URI.create("http://127.0.0.1:" + server.port()));
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<String> r = client.send(
                        HttpRequest.newBuilder(server.endpoint()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).isEqualTo("ok");
            }
        }
    }

    @Test
    void applyJdkServerLimits_keepsAValueSetBefore() {
        String key = "sun.net.httpserver.idleInterval";
        String before = System.getProperty(key);
        try {
            System.setProperty(key, "7");
            ApiHttpServer.applyJdkServerLimits();
            assertThat(System.getProperty(key)).isEqualTo("7");
            System.clearProperty(key);
            ApiHttpServer.applyJdkServerLimits();
            assertThat(System.getProperty(key)).isEqualTo(ApiHttpServer.JDK_SERVER_PROPERTIES.get(key));
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }
}
