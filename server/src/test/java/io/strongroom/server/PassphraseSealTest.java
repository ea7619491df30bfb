package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.pgwire.TlsAuthority;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS authority's key store sealed by the installation passphrase: opens with it, and only with it. */
class PassphraseSealTest {
    @TempDir
    Path dir;

    @Test
    void theAuthoritysKeyStore_opensWithThePassphraseOnly_andCaPemStaysReadable() {
        PassphraseSeal seal = new PassphraseSeal("correct horse".toCharArray());
        byte[] sealed = seal.seal("pw".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(seal.open(sealed), StandardCharsets.US_ASCII)).isEqualTo("pw");
        assertThat(seal.toString()).doesNotContain("correct horse");

        TlsAuthority ca = TlsAuthority.loadOrCreate(dir, seal);
        // Reopened with the same passphrase: the same authority.
        assertThat(TlsAuthority.loadOrCreate(dir, new PassphraseSeal("correct horse".toCharArray()))
                        .caPem())
                .isEqualTo(ca.caPem());
        // A wrong passphrase, or none: refused, and it says what to do.
        assertThatThrownBy(() -> TlsAuthority.loadOrCreate(dir, new PassphraseSeal("wrong".toCharArray())))
                .isInstanceOf(StrongroomException.class)
                .satisfies(e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.WRONG_KEY))
                .hasMessageContaining("start with the passphrase");
        assertThatThrownBy(() -> TlsAuthority.loadOrCreate(dir)).hasMessageContaining("does not open");
        // What clients trust is public and needs no passphrase.
        assertThat(TlsAuthority.readCaPem(dir)).isEqualTo(ca.caPem());
    }
}
