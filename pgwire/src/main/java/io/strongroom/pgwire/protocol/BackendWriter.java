package io.strongroom.pgwire.protocol;

import io.strongroom.base.ErrorCode;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.RowText;
import io.strongroom.sql.SqlType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Encodes backend messages ({@code byte1 type, int32 length including itself, body}) into a buffer and writes it
 * to the client. One method per message, named as the protocol documentation names it; each method's comment
 * gives the body layout.
 *
 * <p>Messages accumulate until {@link #flush()}; past {@link #SPILL_BYTES} the buffer is written out without a
 * flush, so a large result streams with bounded memory and a client that stops reading blocks the writer (TCP
 * back-pressure) instead of growing the heap. Not thread-safe: one connection thread owns it.
 */
public final class BackendWriter {
    static final int SPILL_BYTES = 64 * 1024;

    private final OutputStream out;
    private byte[] buf = new byte[8192];
    private int pos;
    private int messageStart = -1;

    public BackendWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes everything buffered and flushes the stream. */
    public void flush() throws IOException {
        spill();
        out.flush();
    }

    /** A single unframed byte: the answer to SSLRequest and GSSENCRequest ('S' or 'N'). */
    public void rawByte(char b) throws IOException {
        ensure(1);
        buf[pos++] = (byte) b;
    }

    /** 'R' int32 0. */
    public void authenticationOk() throws IOException {
        begin('R');
        int32(0);
        end();
    }

    /** 'R' int32 5, byte4 salt. */
    public void authenticationMd5Password(byte[] salt) throws IOException {
        begin('R');
        int32(5);
        bytes(salt);
        end();
    }

    /**
     * 'R' int32 13: Redshift's SHA-256 digest challenge (its drivers' "extensible digest"): int32 algorithm (0,
     * SHA-256), int32 n, salt, int32 m, server nonce.
     */
    public void authenticationRedshiftDigest(byte[] salt, byte[] serverNonce) throws IOException {
        begin('R');
        int32(13);
        int32(0);
        int32(salt.length);
        bytes(salt);
        int32(serverNonce.length);
        bytes(serverNonce);
        end();
    }

    /** 'R' int32 10, string mechanism..., then an empty string. */
    public void authenticationSasl(List<String> mechanisms) throws IOException {
        begin('R');
        int32(10);
        for (String m : mechanisms) {
            cstring(m);
        }
        int8(0);
        end();
    }

    /** 'R' int32 11, bytes server-first-message. */
    public void authenticationSaslContinue(byte[] data) throws IOException {
        begin('R');
        int32(11);
        bytes(data);
        end();
    }

    /** 'R' int32 12, bytes server-final-message. */
    public void authenticationSaslFinal(byte[] data) throws IOException {
        begin('R');
        int32(12);
        bytes(data);
        end();
    }

    /** 'S' string name, string value. */
    public void parameterStatus(String name, String value) throws IOException {
        begin('S');
        cstring(name);
        cstring(value);
        end();
    }

    /** 'K' int32 processId, int32 secretKey. */
    public void backendKeyData(int processId, int secretKey) throws IOException {
        begin('K');
        int32(processId);
        int32(secretKey);
        end();
    }

    /** 'Z' byte1 status ('I' idle, 'T' in a transaction block, 'E' in a failed one). */
    public void readyForQuery(char status) throws IOException {
        begin('Z');
        int8(status);
        end();
    }

    /** '1', empty. */
    public void parseComplete() throws IOException {
        empty('1');
    }

    /** '2', empty. */
    public void bindComplete() throws IOException {
        empty('2');
    }

    /** '3', empty. */
    public void closeComplete() throws IOException {
        empty('3');
    }

    /** 'n', empty: the statement or portal returns no rows. */
    public void noData() throws IOException {
        empty('n');
    }

    /** 's', empty: Execute reached its row limit and the portal has more rows. */
    public void portalSuspended() throws IOException {
        empty('s');
    }

    /** 'I', empty: the query string was empty. */
    public void emptyQueryResponse() throws IOException {
        empty('I');
    }

    /** 'c', empty. */
    public void copyDone() throws IOException {
        empty('c');
    }

    /** 't' int16 n, int32[n] type OIDs. */
    public void parameterDescription(List<SqlType> types) throws IOException {
        begin('t');
        int16(types.size());
        for (SqlType t : types) {
            int32(t.oid());
        }
        end();
    }

    /**
     * 'T' int16 n, then per column: string name, int32 tableOid, int16 columnNumber, int32 typeOid, int16 typeSize,
     * int32 typeModifier, int16 format.
     *
     * @param formats one format code per column (see {@link #resolveFormats})
     */
    public void rowDescription(List<ResultColumn> columns, short[] formats) throws IOException {
        begin('T');
        int16(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            ResultColumn c = columns.get(i);
            cstring(c.name());
            int32(c.tableOid());
            int16(c.columnNumber());
            int32(c.type().oid());
            int16(c.type().size());
            int32(c.typeModifier());
            int16(formats[i]);
        }
        end();
    }

    /** 'D' int16 n, then per value int32 length (-1 = NULL) and the bytes in the column's format. */
    public void dataRow(@Nullable Object[] row, List<ResultColumn> columns, short[] formats) throws IOException {
        if (row.length != columns.size()) {
            throw new PgException(
                    ErrorCode.INTERNAL,
                    "the SQL engine returned a row of " + row.length + " values for " + columns.size() + " columns",
                    false);
        }
        begin('D');
        try {
            int16(row.length);
            for (int i = 0; i < row.length; i++) {
                Object v = row[i];
                if (v == null) {
                    int32(-1);
                } else {
                    SqlType type = columns.get(i).type();
                    byte[] b = formats[i] == 1 ? PgValues.encodeBinary(type, v) : PgValues.encodeText(type, v);
                    int32(b.length);
                    bytes(b);
                }
            }
        } catch (RuntimeException e) {
            // Drop the half-written message so the ErrorResponse that follows is the next thing on the wire.
            pos = messageStart - 1;
            messageStart = -1;
            throw e;
        }
        end();
    }

    /**
     * 'D' as {@link #dataRow}, every value in text format, from the text the SQL engine wrote ({@code
     * Result.Rows.nextText}): the fast path, with no Java object per value.
     */
    public void dataRowText(RowText row, int columns) throws IOException {
        int n = row.values();
        if (n != columns) {
            throw new PgException(
                    ErrorCode.INTERNAL,
                    "the SQL engine returned a row of " + n + " values for " + columns + " columns",
                    false);
        }
        begin('D');
        int16(n);
        // RowText lays its values out as DataRow does: int32 length (-1 NULL), then the bytes.
        ensure(row.length());
        System.arraycopy(row.bytes(), 0, buf, pos, row.length());
        pos += row.length();
        end();
    }

    /** 'C' string tag, e.g. {@code SELECT 5}. */
    public void commandComplete(String tag) throws IOException {
        begin('C');
        cstring(tag);
        end();
    }

    /**
     * 'E' fields (byte1 code, string value)..., then a zero byte. Sent: S and V severity, C SQLSTATE, M message.
     *
     * @param severity ERROR or FATAL
     */
    public void errorResponse(String severity, String sqlState, String message) throws IOException {
        notice('E', severity, sqlState, message);
    }

    /** 'N', laid out as ErrorResponse. */
    public void noticeResponse(String severity, String sqlState, String message) throws IOException {
        notice('N', severity, sqlState, message);
    }

    /** 'G' int8 format (0 text, 1 binary), int16 columns, int16[columns] format of each. */
    public void copyInResponse(boolean binary, int columns) throws IOException {
        copyResponse('G', binary, columns);
    }

    /** 'H', laid out as CopyInResponse. */
    public void copyOutResponse(boolean binary, int columns) throws IOException {
        copyResponse('H', binary, columns);
    }

    /** 'd' bytes data. */
    public void copyData(byte[] data) throws IOException {
        begin('d');
        bytes(data);
        end();
    }

    /**
     * The format of each of {@code columns} result columns, from Bind's result format codes: none means all text,
     * one applies to all, otherwise one per column.
     */
    public static short[] resolveFormats(short[] requested, int columns) {
        short[] f = new short[columns];
        if (requested.length == 1) {
            Arrays.fill(f, requested[0]);
        } else if (requested.length == columns) {
            System.arraycopy(requested, 0, f, 0, columns);
        } else if (requested.length != 0) {
            throw PgException.protocolViolation(
                    "Bind has " + requested.length + " result formats for " + columns + " columns");
        }
        return f;
    }

    private void copyResponse(char type, boolean binary, int columns) throws IOException {
        begin(type);
        int8(binary ? 1 : 0);
        int16(columns);
        for (int i = 0; i < columns; i++) {
            int16(binary ? 1 : 0);
        }
        end();
    }

    private void notice(char type, String severity, String sqlState, String message) throws IOException {
        begin(type);
        int8('S');
        cstring(severity);
        int8('V');
        cstring(severity);
        int8('C');
        cstring(sqlState);
        int8('M');
        cstring(message);
        int8(0);
        end();
    }

    private void empty(char type) throws IOException {
        begin(type);
        end();
    }

    private void begin(char type) {
        ensure(5);
        buf[pos++] = (byte) type;
        messageStart = pos;
        pos += 4;
    }

    private void end() throws IOException {
        int length = pos - messageStart;
        buf[messageStart] = (byte) (length >>> 24);
        buf[messageStart + 1] = (byte) (length >>> 16);
        buf[messageStart + 2] = (byte) (length >>> 8);
        buf[messageStart + 3] = (byte) length;
        messageStart = -1;
        if (pos >= SPILL_BYTES) {
            spill();
        }
    }

    private void spill() throws IOException {
        if (pos > 0) {
            out.write(buf, 0, pos);
            pos = 0;
        }
    }

    private void int8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    private void int16(int v) {
        ensure(2);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void int32(int v) {
        ensure(4);
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    private void cstring(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (byte x : b) {
            if (x == 0) {
                throw new PgException(
                        ErrorCode.INTERNAL, "a string sent to the client contains a NUL character", false);
            }
        }
        bytes(b);
        int8(0);
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) pos + n);
            if (want > Integer.MAX_VALUE - 16) {
                throw new PgException(ErrorCode.PROGRAM_LIMIT_EXCEEDED, "message too large to send", false);
            }
            buf = Arrays.copyOf(buf, (int) want);
        }
    }
}
