package io.strongroom.pgwire;

import io.strongroom.base.ErrorCode;
import io.strongroom.pgwire.protocol.PgException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * The server side of one SCRAM-SHA-256 exchange (RFC 5802 §3, RFC 7677), without channel binding:
 *
 * <pre>
 * client-first  n,,n=user,r=cnonce               (gs2 header "n,," or "y,,"; "p=..." is refused)
 * server-first  r=cnonce+snonce,s=salt,i=4096
 * client-final  c=biws,r=cnonce+snonce,p=proof   (c = base64 of the gs2 header)
 * server-final  v=ServerSignature
 * </pre>
 *
 * The proof is checked as the RFC says: ClientKey = proof XOR HMAC(StoredKey, AuthMessage), then H(ClientKey) must
 * equal StoredKey (constant-time). The user name inside the message is ignored, as PostgreSQL does: the startup
 * packet names the user. Every failure is the same fatal 28P01, so a client learns nothing about which part was
 * wrong. Not thread-safe; one per login.
 */
final class ScramExchange {
    private final Credentials credentials;
    private final String user;
    private final String serverNonce;
    private String gs2Header = "";
    private String clientFirstBare = "";
    private String serverFirst = "";
    private String nonce = "";

    ScramExchange(Credentials credentials, String user, String serverNonce) {
        this.credentials = credentials;
        this.user = user;
        this.serverNonce = serverNonce;
    }

    byte[] serverFirst(byte[] clientFirstMessage) {
        String m = new String(clientFirstMessage, StandardCharsets.UTF_8);
        if (m.startsWith("p=")) {
            throw new PgException(
                    ErrorCode.INVALID_AUTHORIZATION, "SCRAM channel binding is not supported: use SCRAM-SHA-256", true);
        }
        if (!(m.startsWith("n,") || m.startsWith("y,"))) {
            throw malformed();
        }
        int second = m.indexOf(',', 2);
        if (second < 0) {
            throw malformed();
        }
        gs2Header = m.substring(0, second + 1);
        clientFirstBare = m.substring(second + 1);
        String clientNonce = null;
        for (String attr : clientFirstBare.split(",", -1)) {
            if (attr.startsWith("r=")) {
                clientNonce = attr.substring(2);
            } else if (attr.startsWith("m=")) {
                throw malformed();
            }
        }
        if (clientNonce == null || clientNonce.isEmpty() || clientNonce.indexOf(',') >= 0) {
            throw malformed();
        }
        nonce = clientNonce + serverNonce;
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(credentials.salt()) + ",i="
                + credentials.iterations();
        return serverFirst.getBytes(StandardCharsets.UTF_8);
    }

    byte[] serverFinal(byte[] clientFinalMessage) {
        String m = new String(clientFinalMessage, StandardCharsets.UTF_8);
        int proofAt = m.lastIndexOf(",p=");
        if (proofAt < 0 || serverFirst.isEmpty()) {
            throw malformed();
        }
        String withoutProof = m.substring(0, proofAt);
        String channelBinding = null;
        String finalNonce = null;
        for (String attr : withoutProof.split(",", -1)) {
            if (attr.startsWith("c=")) {
                channelBinding = attr.substring(2);
            } else if (attr.startsWith("r=")) {
                finalNonce = attr.substring(2);
            }
        }
        byte[] proof;
        try {
            proof = Base64.getDecoder().decode(m.substring(proofAt + 3));
        } catch (IllegalArgumentException e) {
            throw malformed();
        }
        String expectedBinding = Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8));
        if (!expectedBinding.equals(channelBinding) || !nonce.equals(finalNonce) || proof.length != 32) {
            throw failed();
        }
        byte[] authMessage =
                (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
        byte[] storedKey = credentials.storedKey();
        byte[] clientSignature = Credentials.hmac(storedKey, authMessage);
        byte[] clientKey = new byte[32];
        for (int i = 0; i < 32; i++) {
            clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
        }
        if (!MessageDigest.isEqual(Credentials.sha256(clientKey), storedKey)) {
            throw failed();
        }
        byte[] serverSignature = Credentials.hmac(credentials.serverKey(), authMessage);
        return ("v=" + Base64.getEncoder().encodeToString(serverSignature)).getBytes(StandardCharsets.UTF_8);
    }

    private PgException malformed() {
        return new PgException(ErrorCode.PROTOCOL_VIOLATION, "malformed SCRAM message", true);
    }

    private PgException failed() {
        return authenticationFailed(user);
    }

    static PgException authenticationFailed(String user) {
        return new PgException(
                ErrorCode.INVALID_PASSWORD, "password authentication failed for user \"" + user + "\"", true);
    }
}
