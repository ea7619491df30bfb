package io.strongroom.hsm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * SoftHSM2 for in-JVM tests. SoftHSM2 reads SOFTHSM2_CONF once, when the library is first initialised in the
 * process; surefire sets the variable to {@code target/softhsm/softhsm2.conf} (hsm/pom.xml), and {@link #library()}
 * writes that file, with an empty token directory beside it, before any test touches the library.
 */
final class SoftHsmFixture {
    static final Path LIBRARY = HsmGateway.DEFAULT_LIBRARY;
    private static boolean ready;

    private SoftHsmFixture() {}

    static synchronized Path library() {
        if (ready) {
            return LIBRARY;
        }
        assertThat(LIBRARY)
                .as("SoftHSM2 is needed: apt-get install -y softhsm2")
                .exists();
        String conf = System.getenv("SOFTHSM2_CONF");
        assertThat(conf)
                .as("SOFTHSM2_CONF must be set for the test JVM (hsm/pom.xml sets it for surefire)")
                .isNotBlank();
        try {
            Path confFile = Paths.get(conf).toAbsolutePath();
            Path tokens = confFile.resolveSibling("tokens");
            if (Files.exists(tokens)) {
                try (Stream<Path> all = Files.walk(tokens)) {
                    all.sorted(Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
            Files.deleteIfExists(confFile);
            HsmGateway.writeSoftHsmConfig(confFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ready = true;
        return LIBRARY;
    }

    /** A fresh directory under target/. */
    static Path newDir(String prefix) throws IOException {
        Path base = Paths.get(System.getProperty("strongroom.hsm.testDir", "target"));
        return Files.createTempDirectory(Files.createDirectories(base), prefix);
    }
}
