package io.strongroom.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.hsm.gateway.HsmGateway;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * SoftHSM2 for the test JVM, shared by every test class that runs an HSM gateway in it: surefire points SOFTHSM2_CONF
 * at target/softhsm (control/pom.xml), and the first use writes that file with an empty token directory, before the
 * library is loaded (it reads the file only then).
 */
final class TestSoftHsm {
    private static boolean ready;

    static synchronized Path library() throws IOException {
        if (!ready) {
            String conf = System.getenv("SOFTHSM2_CONF");
            assertThat(conf)
                    .as("SOFTHSM2_CONF must be set for the test JVM (control/pom.xml sets it)")
                    .isNotBlank();
            // A fresh token directory per run: tokens of an earlier run would clash by label.
            Path confFile = Path.of(conf).toAbsolutePath();
            Path tokens = confFile.resolveSibling("tokens");
            if (Files.exists(tokens)) {
                try (Stream<Path> all = Files.walk(tokens)) {
                    for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            Files.deleteIfExists(confFile);
            HsmGateway.writeSoftHsmConfig(confFile);
            ready = true;
        }
        return HsmGateway.DEFAULT_LIBRARY;
    }
}
