package io.strongroom.control.peer;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The body of {@code snapshot-copy/send}: what crosses from the sending installation to the receiving one after the
 * receiver made the transfer's RSA key pair (docs/format/snapshot.md "Cross-region transfer", remote form).
 *
 * <pre>
 * stream  = "SRSC" | u16 version = 1 | u16 reserved = 0 | u16 n | copy id (n bytes UTF-8) | part* | end
 * part    = 'K' | u32 n | key transfer (n bytes: the "SRTX" sealed DEK, at most 8 KiB; once, encrypted snapshots only)
 *         | 'F' | u16 n | path (n bytes UTF-8, relative to the image) | u64 n | image file (n bytes, sealed as stored)
 *         | 'B' | u32 index in the block list | u64 n | pool block file (n bytes, sealed as stored)
 * end     = 'E' | SHA-256 of every byte of the stream up to and including this 'E'
 * </pre>
 *
 * All integers big-endian. Nothing in a stream is a key in the clear: block and image files are copied byte for
 * byte as their store sealed them, and the DEK is inside the key transfer. A stream that ends before {@code end}, or
 * whose digest differs, is refused and never committed. Stateless.
 */
public final class CopyStream {
    static final byte[] MAGIC = {'S', 'R', 'S', 'C'};
    static final int VERSION = 1;
    static final int MAX_KEY_TRANSFER = 8192;
    static final int MAX_PATH = 1024;

    private CopyStream() {}

    /** Writes a stream; the caller gives the parts in any order, then {@link #end}. Not thread-safe. */
    public static final class Writer {
        private final DigestOutputStream digest;
        private final DataOutputStream out;

        public Writer(OutputStream sink, String copyId) throws IOException {
            this.digest = new DigestOutputStream(sink, sha256());
            this.out = new DataOutputStream(digest);
            out.write(MAGIC);
            out.writeShort(VERSION);
            out.writeShort(0);
            writeUtf(copyId);
        }

        private void writeUtf(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.writeShort(b.length);
            out.write(b);
        }

        public void keyTransfer(byte[] transfer) throws IOException {
            out.writeByte('K');
            out.writeInt(transfer.length);
            out.write(transfer);
        }

        /** An image file of {@code length} bytes, read from {@code in}. */
        public void file(String path, long length, InputStream in) throws IOException {
            out.writeByte('F');
            writeUtf(path);
            out.writeLong(length);
            copy(in, length);
        }

        /** Block {@code index} of the list, {@code length} bytes read from {@code in}. */
        public void block(int index, long length, InputStream in) throws IOException {
            out.writeByte('B');
            out.writeInt(index);
            out.writeLong(length);
            copy(in, length);
        }

        private void copy(InputStream in, long length) throws IOException {
            byte[] buf = new byte[64 * 1024];
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new EOFException("a file shrank while it was being sent");
                }
                out.write(buf, 0, n);
                left -= n;
            }
        }

        public void end() throws IOException {
            out.writeByte('E');
            out.flush();
            byte[] d = digest.getMessageDigest().digest();
            digest.on(false);
            out.write(d);
            out.flush();
        }
    }

    /** What a reader hands each part to; a part's bytes must be read whole from {@code in} before returning. */
    public interface Parts {
        void keyTransfer(byte[] transfer);

        void file(String path, long length, InputStream in);

        void block(int index, long length, InputStream in);
    }

    /**
     * Reads a stream for transfer {@code copyId}, handing each part to {@code parts}; returns once {@code end} and its
     * digest checked out. INTEGRITY_FAILURE for a stream of another transfer, a bad digest, an unknown part or a
     * length out of bounds; IO_ERROR for a stream that ends early.
     */
    public static void read(InputStream body, String copyId, Parts parts) {
        DigestInputStream digest = new DigestInputStream(body, sha256());
        DataInputStream in = new DataInputStream(digest);
        try {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC) || in.readUnsignedShort() != VERSION || in.readUnsignedShort() != 0) {
                throw damaged("is not a version 1 snapshot copy stream");
            }
            String id = readUtf(in, 128);
            if (!id.equals(copyId)) {
                throw damaged("belongs to transfer " + id + ", not " + copyId);
            }
            boolean key = false;
            while (true) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 'K' -> {
                        int n = in.readInt();
                        if (key || n <= 0 || n > MAX_KEY_TRANSFER) {
                            throw damaged("has a second key transfer or one of length " + n);
                        }
                        key = true;
                        byte[] transfer = in.readNBytes(n);
                        if (transfer.length != n) {
                            throw new EOFException();
                        }
                        parts.keyTransfer(transfer);
                    }
                    case 'F' -> {
                        String path = readUtf(in, MAX_PATH);
                        long n = in.readLong();
                        if (n < 0) {
                            throw damaged("has an image file of length " + n);
                        }
                        parts.file(path, n, in);
                    }
                    case 'B' -> {
                        int index = in.readInt();
                        long n = in.readLong();
                        if (index < 0 || n < 0) {
                            throw damaged("has block " + index + " of length " + n);
                        }
                        parts.block(index, n, in);
                    }
                    case 'E' -> {
                        byte[] expected = digest.getMessageDigest().digest();
                        digest.on(false);
                        byte[] got = in.readNBytes(32);
                        if (!MessageDigest.isEqual(expected, got)) {
                            throw damaged("does not match its digest");
                        }
                        if (in.read() != -1) {
                            throw damaged("has bytes after its end");
                        }
                        return;
                    }
                    default -> throw damaged("has an unknown part " + tag);
                }
            }
        } catch (EOFException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "the snapshot copy stream ended early; send it again", e);
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read the snapshot copy stream: " + e, e);
        }
    }

    private static String readUtf(DataInputStream in, int max) throws IOException {
        int n = in.readUnsignedShort();
        if (n > max) {
            throw damaged("has a name of " + n + " bytes");
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException();
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private static StrongroomException damaged(String what) {
        return new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "the snapshot copy stream " + what);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }
}
