package io.strongroom.control.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a refused request's log line names as the caller: the key id only, never more than the header's id. */
class AccessKeyIdOfTest {
    @Test
    void takesTheKeyIdOnly() {
        assertThat(RedshiftHttpHandler.accessKeyIdOf(
                        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE123/20261206/us-east-1/redshift/aws4_request,"
                                + " SignedHeaders=host, Signature=abc"))
                .isEqualTo("AKIAEXAMPLE123");
        assertThat(RedshiftHttpHandler.accessKeyIdOf(null)).isEqualTo("-");
        assertThat(RedshiftHttpHandler.accessKeyIdOf("Basic xyz")).isEqualTo("-");
        assertThat(RedshiftHttpHandler.accessKeyIdOf("AWS4-HMAC-SHA256 Credential=\n\u0001evil"))
                .isEqualTo("-");
        assertThat(RedshiftHttpHandler.accessKeyIdOf("AWS4-HMAC-SHA256 Credential=" + "A".repeat(100)))
                .hasSize(32);
    }
}
