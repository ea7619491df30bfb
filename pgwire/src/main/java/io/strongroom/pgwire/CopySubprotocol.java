package io.strongroom.pgwire;

import io.strongroom.base.ErrorCode;
import io.strongroom.pgwire.protocol.BackendWriter;
import io.strongroom.pgwire.protocol.FrontendMessage;
import io.strongroom.pgwire.protocol.PgException;
import io.strongroom.sql.Result;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;

/**
 * The COPY sub-protocol of a connection: the messages between CopyInResponse and CopyDone or CopyFail, and the
 * CopyOut stream. A COPY FROM STDIN the client does not finish is aborted, so nothing of it commits. Stateless; runs
 * on the connection's thread.
 */
final class CopySubprotocol {
    private static final System.Logger LOG = System.getLogger(CopySubprotocol.class.getName());

    private CopySubprotocol() {}

    /** COPY ... FROM STDIN: CopyInResponse, then CopyData into the sink until CopyDone (commit) or CopyFail. */
    static String copyIn(Result.CopyIn copy, InputStream in, BackendWriter out, int maxMessageBytes)
            throws IOException {
        Result.CopySink sink = copy.sink();
        out.copyInResponse(copy.binary(), copy.columns());
        out.flush();
        boolean open = true;
        try {
            while (true) {
                FrontendMessage m = FrontendMessage.read(in, maxMessageBytes);
                switch (m) {
                    case FrontendMessage.CopyData d -> sink.write(d.data(), 0, d.data().length);
                    case FrontendMessage.CopyDone d -> {
                        open = false;
                        return sink.finish();
                    }
                    case FrontendMessage.CopyFail f -> {
                        open = false;
                        sink.abort(f.message());
                        throw new PgException(
                                ErrorCode.QUERY_CANCELED, "COPY from stdin failed: " + f.message(), false);
                    }
                    case FrontendMessage.Flush f -> {}
                    case FrontendMessage.Sync f -> {}
                    case FrontendMessage.Terminate t -> throw new EOFException("client left during COPY");
                    default ->
                        throw PgException.protocolViolation(
                                "unexpected message " + m.getClass().getSimpleName() + " during COPY FROM STDIN");
                }
            }
        } finally {
            if (open) {
                try {
                    sink.abort("COPY FROM STDIN failed");
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "aborting a COPY failed", e);
                }
            }
        }
    }

    /** COPY ... TO STDOUT: CopyOutResponse, the chunks as CopyData, CopyDone. */
    static String copyOut(Result.CopyOut copy, BackendWriter out) throws IOException {
        out.copyOutResponse(copy.binary(), copy.columns());
        Iterator<byte[]> chunks = copy.chunks();
        try {
            while (chunks.hasNext()) {
                out.copyData(chunks.next());
            }
        } finally {
            if (chunks instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IOException("closing the rows of COPY TO STDOUT: " + e.getMessage(), e);
                }
            }
        }
        out.copyDone();
        return copy.tag().get();
    }
}
