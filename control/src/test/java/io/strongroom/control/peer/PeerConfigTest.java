package io.strongroom.control.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.hsm.ClientCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** peers.json: what it reads, and the mistakes it refuses by name. */
class PeerConfigTest {
    @TempDir
    Path dir;

    private static final String PEM =
            json(ClientCertificates.toPem(ClientCertificates.generateServer("peer-test", Duration.ofDays(1), List.of())
                    .certificate()));
    private static final String OTHER_PEM = json(
            ClientCertificates.toPem(ClientCertificates.generateServer("peer-test-2", Duration.ofDays(1), List.of())
                    .certificate()));

    private static String json(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }

    private PeerConfig parse(String text) {
        return PeerConfig.parse(text.getBytes(StandardCharsets.UTF_8), dir, "test");
    }

    private static String peer(String name, String endpoint, String pem, String region, String accounts) {
        return "{\"name\":\"" + name + "\",\"endpoint\":\"" + endpoint + "\",\"certificate\":" + pem
                + ",\"regions\":[\"" + region + "\"],\"accounts\":" + accounts + "}";
    }

    @Test
    void reads_regionsEndpointsCertificatesAndAccounts() throws Exception {
        PeerConfig c = parse("{\"listen\":\"127.0.0.1:0\",\"peers\":["
                + peer("west", "https://10.0.0.2:9443", PEM, "us-west-2", "{\"111122223333\":\"444455556666\"}")
                + "]}");
        assertThat(c.listen()).isNotNull();
        assertThat(c.forRegion("us-west-2")).hasValueSatisfying(p -> {
            assertThat(p.endpoint().getPort()).isEqualTo(9443);
            assertThat(p.accounts()).containsEntry("111122223333", "444455556666");
            assertThat(c.byCertificate(p.certificate())).contains(p);
        });
        assertThat(c.forRegion("us-east-1")).isEmpty();
        assertThat(PeerConfig.load(dir)).isSameAs(PeerConfig.NONE);
        Files.writeString(
                dir.resolve("west.pem"),
                ClientCertificates.toPem(c.peers().get(0).certificate()));
        PeerConfig fromFile = parse("{\"peers\":[{\"name\":\"w\",\"endpoint\":\"https://h:1\","
                + "\"certificateFile\":\"west.pem\",\"regions\":[\"us-west-2\"]}]}");
        assertThat(fromFile.peers().get(0).certificate())
                .isEqualTo(c.peers().get(0).certificate());
        assertThat(fromFile.listen()).isNull();
    }

    @Test
    void refuses_whatWouldBeAmbiguousOrUnsafe() {
        String ok = "{\"111122223333\":\"444455556666\"}";
        assertThatThrownBy(() -> parse("{\"peers\":[" + peer("w", "http://h:1", PEM, "us-west-2", ok) + "]}"))
                .hasMessageContaining("https://");
        assertThatThrownBy(() -> parse("{\"peers\":[" + peer("w", "https://h:1", PEM, "us-west-2", ok) + ","
                        + peer("x", "https://h:2", OTHER_PEM, "us-west-2", ok) + "]}"))
                .hasMessageContaining("another peer's");
        assertThatThrownBy(() -> parse("{\"peers\":[" + peer("w", "https://h:1", PEM, "us-west-2", ok) + ","
                        + peer("x", "https://h:2", PEM, "eu-west-1", ok) + "]}"))
                .hasMessageContaining("certificate of another peer");
        assertThatThrownBy(() ->
                        parse("{\"peers\":[" + peer("w", "https://h:1", PEM, "us-west-2", "{\"1\":\"2\"}") + "]}"))
                .hasMessageContaining("12 digits");
        assertThatThrownBy(() -> parse("{\"peers\":[{\"name\":\"w\",\"endpoint\":\"https://h:1\"}]}"))
                .hasMessageContaining("identity certificate");
        assertThatThrownBy(() -> parse("{\"listen\":\"nope\"}")).hasMessageContaining("host:port");
    }
}
