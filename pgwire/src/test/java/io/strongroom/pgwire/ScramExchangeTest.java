package io.strongroom.pgwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.pgwire.protocol.PgException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** RFC 7677 §3's SCRAM-SHA-256 example, played from the server side, and the ways a login can fail. */
class ScramExchangeTest {
    static final String CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    static final String SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    static final String SERVER_FIRST =
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    static final String CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    static final String SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    /** The verifier PostgreSQL would store for password "pencil" with the RFC's salt. */
    static Credentials pencil() {
        byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
        byte[] salted = Credentials.saltedPassword("pencil".toCharArray(), salt, 4096);
        Base64.Encoder b64 = Base64.getEncoder();
        return Credentials.ofScramVerifier("SCRAM-SHA-256$4096:" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(Credentials.sha256(Credentials.hmac(salted, "Client Key"))) + ":"
                + b64.encodeToString(Credentials.hmac(salted, "Server Key")));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void rfc7677Example_serverMessagesMatch() {
        ScramExchange x = new ScramExchange(pencil(), "user", SERVER_NONCE);
        assertThat(new String(x.serverFirst(utf8(CLIENT_FIRST)), StandardCharsets.UTF_8))
                .isEqualTo(SERVER_FIRST);
        assertThat(new String(x.serverFinal(utf8(CLIENT_FINAL)), StandardCharsets.UTF_8))
                .isEqualTo(SERVER_FINAL);
    }

    @Test
    void wrongProofNonceOrBinding_fail28P01() {
        for (String bad : new String[] {
            CLIENT_FINAL.replace("p=dHzb", "p=dHzc"),
            CLIENT_FINAL.replace("hNlF$k0,", "hNlF$k1,"),
            CLIENT_FINAL.replace("c=biws", "c=eSws"),
        }) {
            ScramExchange x = new ScramExchange(pencil(), "user", SERVER_NONCE);
            x.serverFirst(utf8(CLIENT_FIRST));
            assertThatThrownBy(() -> x.serverFinal(utf8(bad)))
                    .isInstanceOfSatisfying(PgException.class, e -> {
                        assertThat(e.code().sqlState()).isEqualTo("28P01");
                        assertThat(e.fatal()).isTrue();
                    })
                    .hasMessage("password authentication failed for user \"user\"");
        }
    }

    @Test
    void channelBindingAndMalformedMessages_areRefused() {
        ScramExchange x = new ScramExchange(pencil(), "user", SERVER_NONCE);
        assertThatThrownBy(() -> x.serverFirst(utf8("p=tls-server-end-point,,n=user,r=abc")))
                .hasMessageContaining("channel binding");
        assertThatThrownBy(() -> x.serverFirst(utf8("n,,n=user"))).hasMessageContaining("malformed");
        assertThatThrownBy(() -> new ScramExchange(pencil(), "user", "x").serverFinal(utf8(CLIENT_FINAL)))
                .hasMessageContaining("malformed");
    }

    @Test
    void credentials_verifyCleartext_andHideSecretsInToString() {
        Credentials c = Credentials.ofPassword("master", "s3cret".toCharArray());
        assertThat(c.verifyPassword("s3cret".toCharArray())).isTrue();
        assertThat(c.verifyPassword("s3cres".toCharArray())).isFalse();
        assertThat(c.supportsMd5()).isTrue();
        assertThat(c.toString())
                .doesNotContain(c.scramVerifier().substring(20, 40))
                .doesNotContain("s3cret");
        Credentials reloaded = Credentials.ofScramVerifier(c.scramVerifier());
        assertThat(reloaded.verifyPassword("s3cret".toCharArray())).isTrue();
        assertThat(reloaded.supportsMd5()).isFalse();
        assertThat(pencil().verifyPassword("pencil".toCharArray())).isTrue();
        assertThatThrownBy(() -> Credentials.ofScramVerifier("SCRAM-SHA-256$x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed SCRAM-SHA-256 verifier");
    }
}
