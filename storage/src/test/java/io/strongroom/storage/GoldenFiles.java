package io.strongroom.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes golden stores for a new format version into an empty directory (a tool, not a test):
 *
 * <pre>
 * mvn -q -pl storage -am test-compile && mvn -q -pl storage org.codehaus.mojo:exec-maven-plugin:3.6.4:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.strongroom.storage.GoldenFiles -Dexec.args=/absolute/new/dir
 * </pre>
 *
 * then commit the directory under {@code src/test/resources/golden/v<N>/} with a test that reads it.
 */
public final class GoldenFiles {
    private GoldenFiles() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GoldenFiles <empty directory to write the golden stores into>");
        }
        Path target = Path.of(args[0]);
        Files.createDirectories(target);
        try (var existing = Files.list(target)) {
            if (existing.findAny().isPresent()) {
                throw new IllegalArgumentException(
                        target + " is not empty: golden files are written into a new folder");
            }
        }
        GoldenFormatTest.writeGoldenFiles(target);
    }
}
