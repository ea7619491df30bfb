package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.base.StrongroomException;
import org.junit.jupiter.api.Test;

/** What a client is shown of a failure: never a server path; identifiers, ARNs and URLs stay. */
class ClientMessageTest {
    @Test
    void absolutePaths_areWithheld_identifiersArnsAndUrlsStay() {
        assertThat(StrongroomException.forClient(
                        "integrity failure in block /var/lib/sr/control/data/c-1-g1/tables/5/00000000000000a1.blk of"
                                + " table public.t: tag mismatch"))
                .isEqualTo("integrity failure in block <path in the server log> of table public.t: tag mismatch");
        assertThat(StrongroomException.forClient("cannot write /tmp/x/y.tmp: No space left on device"))
                .isEqualTo("cannot write <path in the server log>: No space left on device");
        String arn = "KMS key arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab is disabled";
        assertThat(StrongroomException.forClient(arn)).isEqualTo(arn);
        String url = "KMS at http://127.0.0.1:7878/ did not answer";
        assertThat(StrongroomException.forClient(url)).isEqualTo(url);
        assertThat(StrongroomException.forClient("relation \"a/b\" does not exist"))
                .isEqualTo("relation \"a/b\" does not exist");
    }
}
