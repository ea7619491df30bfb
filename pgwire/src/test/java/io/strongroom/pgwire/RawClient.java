package io.strongroom.pgwire;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** A byte-level protocol client for tests: sends exactly the bytes a test builds and reads raw messages. */
final class RawClient implements AutoCloseable {
    record Msg(char type, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The SQLSTATE of an ErrorResponse ('C' field). */
        String sqlState() {
            String[] fields = text().split("\0");
            for (String f : fields) {
                if (f.startsWith("C")) {
                    return f.substring(1);
                }
            }
            return "";
        }
    }

    /** Builds a message body. */
    static final class Body {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(bytes);

        Body cstring(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.write(0);
            return this;
        }

        Body int8(int v) throws IOException {
            out.writeByte(v);
            return this;
        }

        Body int16(int v) throws IOException {
            out.writeShort(v);
            return this;
        }

        Body int32(int v) throws IOException {
            out.writeInt(v);
            return this;
        }

        Body bytes(byte[] b) throws IOException {
            out.write(b);
            return this;
        }

        byte[] build() {
            return bytes.toByteArray();
        }
    }

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;

    RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    static Body body() {
        return new Body();
    }

    void sendUntyped(byte[] body) throws IOException {
        out.writeInt(body.length + 4);
        out.write(body);
        out.flush();
    }

    void send(char type, byte[] body) throws IOException {
        out.writeByte(type);
        out.writeInt(body.length + 4);
        out.write(body);
        out.flush();
    }

    Msg read() throws IOException {
        char type = (char) in.readUnsignedByte();
        int len = in.readInt();
        byte[] body = new byte[len - 4];
        in.readFully(body);
        return new Msg(type, body);
    }

    /** Messages up to and including the first of {@code type}. */
    List<Msg> readUntil(char type) throws IOException {
        List<Msg> msgs = new ArrayList<>();
        while (true) {
            Msg m = read();
            msgs.add(m);
            if (m.type() == type) {
                return msgs;
            }
        }
    }

    static String types(List<Msg> msgs) {
        StringBuilder sb = new StringBuilder();
        for (Msg m : msgs) {
            sb.append(m.type());
        }
        return sb.toString();
    }

    /** Startup and md5 login; returns the messages up to ReadyForQuery. */
    List<Msg> loginMd5(String user, String password) throws Exception {
        answerMd5(user, password, startMd5(user));
        return readUntil('Z');
    }

    /** The first half of an md5 login: the startup packet; returns the salt the server asked with. */
    byte[] startMd5(String user) throws IOException {
        sendUntyped(body().int32(196608)
                .cstring("user")
                .cstring(user)
                .cstring("database")
                .cstring("dev")
                .int8(0)
                .build());
        Msg auth = read();
        if (auth.type() != 'R' || auth.body()[3] != 5) {
            throw new AssertionError("expected AuthenticationMD5Password, got " + auth.type());
        }
        return Arrays.copyOfRange(auth.body(), 4, 8);
    }

    /** The second half of an md5 login: the password's answer to {@code salt}. */
    void answerMd5(String user, String password, byte[] salt) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        String inner = HexFormat.of().formatHex(md.digest((password + user).getBytes(StandardCharsets.UTF_8)));
        md.update(inner.getBytes(StandardCharsets.US_ASCII));
        md.update(salt);
        send('p', body().cstring("md5" + HexFormat.of().formatHex(md.digest())).build());
    }

    /** True once the server has closed the connection (reads EOF). */
    boolean closedByServer() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
