package io.strongroom.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The accounts and principals of a KMS: the {@code credentials.json} file in its data directory (mode 0600),
 * one entry per access key with its secret, account and principal ARN. The first start creates an admin
 * credential; more can be added by editing the file (read at start) or through {@link #add}. A file that group
 * or others may read or write is refused at start, as {@code master.key} is.
 *
 * <p>File format: {@code {"formatVersion":1,"credentials":[{"accessKeyId":...,"secretAccessKey":...,
 * "accountId":...,"principalArn":...}]}}. Writes are durable (temporary file, fsync, atomic rename, directory
 * fsync). Thread-safe: lookups are lock-free, additions are serialised.
 */
public final class CredentialStore {
    public static final String FILE = "credentials.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private final Path file;
    private final SecureRandom random;
    private final Map<String, Credential> byAccessKey = new ConcurrentHashMap<>();
    private final List<Credential> ordered = new ArrayList<>();
    private final boolean created;
    private final FaultHook hook;

    private CredentialStore(Path file, SecureRandom random, boolean created, FaultHook hook) {
        this.file = file;
        this.random = random;
        this.created = created;
        this.hook = hook;
    }

    /** Loads {@code dir/credentials.json}, creating it with one admin credential when it does not exist. */
    public static CredentialStore open(Path dir, SecureRandom random) {
        return open(dir, random, FaultHook.NONE);
    }

    /** {@link #open(Path, SecureRandom)} announcing each durable write's steps to {@code hook} (tests). */
    static CredentialStore open(Path dir, SecureRandom random, FaultHook hook) {
        Path file = dir.resolve(FILE);
        try {
            Files.createDirectories(dir);
            if (!Files.exists(file)) {
                CredentialStore s = new CredentialStore(file, random, true, hook);
                StringBuilder account = new StringBuilder();
                for (int i = 0; i < 12; i++) {
                    account.append(i == 0 ? 1 + random.nextInt(9) : random.nextInt(10));
                }
                s.add(account.toString(), "user/admin");
                return s;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (!PosixFilePermissions.fromString("rw-------").containsAll(perms)) {
                throw new StrongroomException(
                        ErrorCode.ACCESS_DENIED,
                        "KMS credentials file " + file + " is readable or writable by others (mode "
                                + PosixFilePermissions.toString(perms) + "); it holds secret access keys. Run chmod"
                                + " 600 " + file);
            }
            CredentialStore s = new CredentialStore(file, random, false, hook);
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null
                    || root.path("formatVersion").asInt() != 1
                    || !root.path("credentials").isArray()) {
                throw new StrongroomException(
                        ErrorCode.UNSUPPORTED_FORMAT,
                        file + " is not a Strongroom credentials file (formatVersion 1 with a credentials list)");
            }
            for (JsonNode c : root.get("credentials")) {
                Credential cred = new Credential(
                        c.path("accessKeyId").asText(),
                        c.path("secretAccessKey").asText(),
                        c.path("accountId").asText(),
                        c.path("principalArn").asText());
                s.byAccessKey.put(cred.accessKeyId(), cred);
                s.ordered.add(cred);
            }
            return s;
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read credentials file " + file + ": " + e, e);
        } catch (IllegalArgumentException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "bad entry in credentials file " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** True when this start created the file (and its admin credential). */
    public boolean created() {
        return created;
    }

    /** The first credential in the file: the admin created at first start. */
    public synchronized Credential admin() {
        return ordered.getFirst();
    }

    public synchronized List<Credential> all() {
        return List.copyOf(ordered);
    }

    public @Nullable Credential find(String accessKeyId) {
        return byAccessKey.get(accessKeyId);
    }

    /**
     * Creates a new access key for {@code arn:aws:iam::<accountId>:<principalPath>} (e.g. {@code user/alice},
     * {@code role/redshift}) and saves it.
     */
    public synchronized Credential add(String accountId, String principalPath) {
        StringBuilder akid = new StringBuilder("AKIA");
        for (int i = 0; i < 16; i++) {
            akid.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        byte[] secret = new byte[30];
        random.nextBytes(secret);
        Credential c = new Credential(
                akid.toString(),
                Base64.getEncoder().encodeToString(secret),
                accountId,
                "arn:aws:iam::" + accountId + ":" + principalPath);
        ordered.add(c);
        byAccessKey.put(c.accessKeyId(), c);
        save();
        return c;
    }

    /** Adds an existing credential (e.g. one imported from another deployment) and saves it. */
    public synchronized void add(Credential c) {
        if (byAccessKey.containsKey(c.accessKeyId())) {
            throw new StrongroomException(
                    ErrorCode.ALREADY_EXISTS, "access key " + c.accessKeyId() + " already exists in " + file);
        }
        ordered.add(c);
        byAccessKey.put(c.accessKeyId(), c);
        save();
    }

    private void save() {
        ObjectNode root = JSON.createObjectNode();
        root.put("formatVersion", 1);
        ArrayNode list = root.putArray("credentials");
        for (Credential c : ordered) {
            list.addObject()
                    .put("accessKeyId", c.accessKeyId())
                    .put("secretAccessKey", c.secretAccessKey())
                    .put("accountId", c.accountId())
                    .put("principalArn", c.principalArn());
        }
        try {
            byte[] content = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
            DurableFile.replace(file, content, hook);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot write credentials file " + file + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "CredentialStore[" + file + "]";
    }
}
