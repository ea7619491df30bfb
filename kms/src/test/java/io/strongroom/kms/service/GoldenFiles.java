package io.strongroom.kms.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * Writes the KMS store's golden files for a new format version into an empty directory (a tool, not a test):
 *
 * <pre>
 * mvn -q -pl kms -am test-compile && mvn -q -pl kms org.codehaus.mojo:exec-maven-plugin:3.6.4:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.strongroom.kms.service.GoldenFiles -Dexec.args=/absolute/new/dir
 * </pre>
 */
public final class GoldenFiles {
    private GoldenFiles() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GoldenFiles <empty directory to write the golden files into>");
        }
        Path target = Path.of(args[0]);
        Files.createDirectories(target);
        try (var existing = Files.list(target)) {
            if (existing.findAny().isPresent()) {
                throw new IllegalArgumentException(
                        target + " is not empty: golden files are written into a new folder");
            }
        }
        Path scratch = Files.createTempDirectory("kms-golden-audit");
        try {
            GoldenFormatTest.writeGoldenFiles(target, scratch);
        } finally {
            deleteTree(scratch);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
