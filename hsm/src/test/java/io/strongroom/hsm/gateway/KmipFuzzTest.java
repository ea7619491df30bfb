package io.strongroom.hsm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.hsm.kmip.Credential;
import io.strongroom.hsm.kmip.KmipCodec;
import io.strongroom.hsm.kmip.KmipConstants;
import io.strongroom.hsm.kmip.KmipGoldenTest;
import io.strongroom.hsm.kmip.Operation;
import io.strongroom.hsm.kmip.ProtocolVersion;
import io.strongroom.hsm.kmip.RequestMessage;
import io.strongroom.hsm.kmip.RequestPayload;
import io.strongroom.hsm.kmip.ResponseMessage;
import io.strongroom.hsm.kmip.ResponsePayload;
import io.strongroom.hsm.kmip.ResultReason;
import io.strongroom.hsm.kmip.ResultStatus;
import io.strongroom.hsm.ttlv.TtlvCodec;
import io.strongroom.hsm.ttlv.TtlvException;
import io.strongroom.hsm.ttlv.TtlvReader;
import io.strongroom.testkit.fuzz.Fuzz;
import io.strongroom.testkit.fuzz.FuzzInput;
import io.strongroom.testkit.fuzz.Generator;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzz targets for the KMIP wire (docs/security.md, "Fuzzing"), on the testkit harness: a fixed seed per target in
 * the ordinary run, {@code -Dstrongroom.fuzz.seed=random} to explore, {@code -Dstrongroom.fuzz.tries=N} for longer.
 *
 * <ul>
 *   <li>{@code hsm.ttlv}: {@link TtlvCodec#decode} and the stream framing ({@link TtlvReader}). For any bytes the
 *       decoder returns an item or throws {@link TtlvException}; what it accepts encodes back to the same bytes (the
 *       decoder is strict: exact lengths, zero padding, Booleans 0 or 1); the reader throws {@link TtlvException} or
 *       {@link EOFException} and never frames more than its limit.
 *   <li>{@code hsm.gateway-request}: what {@code strongroom hsm} does with one framed request, {@link
 *       HsmGateway#answer(byte[], String, Function)}: {@link KmipCodec#decodeRequest} (strict),
 *       the {@link RequestProcessor}'s version, credential, assignment and batch handling, and the encoding of the
 *       answer in the request's version. For any bytes it returns, never throws, and what it returns is a response
 *       message the client's decoder reads, in a version the gateway serves or 1.0, with one item per request item
 *       (or one Invalid Message item). The partitions behind it always fail to open (Item Not Found): the PKCS#11
 *       operations are not fuzzed here; HsmGatewayIT covers them with SoftHSM2.
 *   <li>{@code hsm.kmip-response}: the cluster's client parsing an answer, {@link KmipCodec#decodeResponse}. It
 *       returns a message or throws {@link TtlvException}; what it accepts re-encodes, and that decodes and encodes
 *       to the same bytes again (the client skips unknown trailing payload fields, so the first encoding may drop
 *       some).
 * </ul>
 *
 * Seeds: {@code src/test/resources/fuzz/hsm-ttlv}, {@code hsm-kmip-request} and {@code hsm-kmip-response}: the golden
 * messages PyKMIP encoded ({@code src/test/resources/golden}) and every request and response {@link KmipGoldenTest}
 * builds, in each served version ({@link #writeCorpus}); {@code regression-*} files are inputs this harness found.
 */
class KmipFuzzTest {
    private static final String PARTITION = "fuzz-part";
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochSecond(1_700_000_000L));

    /** Partitions that never open: the target stops where PKCS#11 would start. */
    private static final RequestProcessor PROCESSOR = new RequestProcessor(
            label -> {
                throw new KmipFailure(ResultReason.ITEM_NOT_FOUND, "no partition " + label + " in the fuzz target");
            },
            CLOCK);

    /** Held here: java.util.logging keeps loggers only weakly, and a collected one would forget its level. */
    private static final Logger GATEWAY_LOG = Logger.getLogger(HsmGateway.class.getName());

    private static Generator<FuzzInput> inputs(String corpus) {
        return Fuzz.inputs(Fuzz.corpus(KmipFuzzTest.class, corpus), 8192);
    }

    @Test
    void ttlv_decodesOrThrowsTyped_andWhatDecodesReencodesExactly() {
        Fuzz.run("hsm.ttlv", 3000, inputs("hsm-ttlv"), KmipFuzzTest::checkTtlv);
    }

    private static void checkTtlv(FuzzInput in) throws Exception {
        byte[] bytes = in.bytes();
        Fuzz.decodes(() -> TtlvCodec.decode(bytes), TtlvException.class)
                .ifPresent(item ->
                        assertThat(TtlvCodec.hex(TtlvCodec.encode(item))).isEqualTo(TtlvCodec.hex(bytes)));
        Fuzz.decodes(() -> frames(bytes, 4096), TtlvException.class, EOFException.class)
                .ifPresent(frames ->
                        assertThat(frames).allSatisfy(f -> assertThat(f.length).isBetween(8, 4096)));
    }

    /** The frames a connection would read from {@code bytes}, as the gateway's connection loop reads them. */
    private static List<byte[]> frames(byte[] bytes, int limit) throws IOException {
        TtlvReader reader = new TtlvReader(new ByteArrayInputStream(bytes), limit);
        List<byte[]> out = new ArrayList<>();
        for (byte[] f = reader.next(); f != null; f = reader.next()) {
            out.add(f);
        }
        return out;
    }

    @Test
    void gatewayRequest_alwaysAnswersWithAResponseTheClientReads() {
        // The gateway logs every malformed request as a redacted dump: thousands of lines here, none of them news.
        Level was = GATEWAY_LOG.getLevel();
        GATEWAY_LOG.setLevel(Level.OFF);
        try {
            Fuzz.run("hsm.gateway-request", 3000, inputs("hsm-kmip-request"), KmipFuzzTest::checkGatewayRequest);
        } finally {
            GATEWAY_LOG.setLevel(was);
        }
    }

    private static void checkGatewayRequest(FuzzInput in) throws Exception {
        byte[] bytes = in.bytes();
        byte[] answer = Fuzz.decodes(() ->
                        HsmGateway.answer(bytes, "fuzz", m -> PROCESSOR.process(m, "fuzz-client", PARTITION::equals)))
                .orElseThrow();
        ResponseMessage r = KmipCodec.decodeResponse(answer);
        assertThat(ProtocolVersion.SERVED.contains(r.version())
                        || r.version().equals(ProtocolVersion.V1_0)
                        || r.version().equals(ProtocolVersion.V1_1))
                .as("answered in %s", r.version())
                .isTrue();
        Optional<RequestMessage> request = decodeRequest(bytes);
        if (request.isEmpty()) {
            assertThat(r.items()).singleElement().satisfies(item -> {
                assertThat(item.status()).isEqualTo(ResultStatus.OPERATION_FAILED);
                assertThat(item.resultReason()).isEqualTo(ResultReason.INVALID_MESSAGE.code());
                assertThat(item.resultMessage()).isNotBlank();
            });
        } else {
            assertThat(r.items()).hasSizeBetween(1, request.get().items().size());
            for (ResponseMessage.Item item : r.items()) {
                if (item.status() != ResultStatus.SUCCESS) {
                    assertThat(item.resultMessage()).as("a refusal says why").isNotBlank();
                }
            }
        }
    }

    private static Optional<RequestMessage> decodeRequest(byte[] bytes) {
        try {
            return Optional.of(KmipCodec.decodeRequest(bytes));
        } catch (TtlvException e) {
            return Optional.empty();
        }
    }

    @Test
    void kmipResponse_decodesOrThrowsTyped_andReencodesStably() {
        Fuzz.run("hsm.kmip-response", 3000, inputs("hsm-kmip-response"), KmipFuzzTest::checkResponse);
    }

    private static void checkResponse(FuzzInput in) throws Exception {
        byte[] bytes = in.bytes();
        Fuzz.decodes(() -> KmipCodec.decodeResponse(bytes), TtlvException.class).ifPresent(m -> {
            byte[] once = KmipCodec.encodeResponse(m);
            byte[] twice = KmipCodec.encodeResponse(KmipCodec.decodeResponse(once));
            assertThat(TtlvCodec.hex(twice)).isEqualTo(TtlvCodec.hex(once));
        });
    }

    @Test
    void corpus_everySeedHoldsItsProperties() throws Exception {
        for (byte[] seed : Fuzz.corpus(getClass(), "hsm-ttlv")) {
            checkTtlv(new FuzzInput(seed, "corpus"));
        }
        for (byte[] seed : Fuzz.corpus(getClass(), "hsm-kmip-request")) {
            checkGatewayRequest(new FuzzInput(seed, "corpus"));
        }
        for (byte[] seed : Fuzz.corpus(getClass(), "hsm-kmip-response")) {
            checkResponse(new FuzzInput(seed, "corpus"));
        }
    }

    /**
     * Regenerates the seed files: {@code mvn -pl hsm test -Dtest=KmipFuzzTest -Dstrongroom.fuzz.writeCorpus=true}.
     */
    @Test
    @EnabledIfSystemProperty(named = Fuzz.WRITE_CORPUS_PROPERTY, matches = "true")
    void writeCorpus() throws Exception {
        List<String> goldens;
        try (Stream<Path> names = Files.list(Path.of("src", "test", "resources", "golden"))) {
            goldens = names.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".hex"))
                    .sorted()
                    .toList();
        }
        for (String g : goldens) {
            byte[] bytes = KmipGoldenTest.golden(g);
            String name = "golden-" + g.replace(".hex", ".bin");
            Fuzz.writeSeed("hsm-ttlv", name, bytes);
            if (g.contains("-request")) {
                Fuzz.writeSeed("hsm-kmip-request", name, bytes);
            } else {
                Fuzz.writeSeed("hsm-kmip-response", name, bytes);
            }
        }
        for (ProtocolVersion v :
                List.of(ProtocolVersion.V1_2, ProtocolVersion.V1_3, ProtocolVersion.V1_4, ProtocolVersion.V2_0)) {
            int i = 0;
            for (RequestPayload p : KmipGoldenTest.requests(v)) {
                RequestMessage plain = KmipGoldenTest.request(v, p);
                // With the partition credential, so mutations reach the processor's login path.
                RequestMessage m = new RequestMessage(v, new Credential(PARTITION, "fuzz-pin"), null, plain.items());
                Fuzz.writeSeed("hsm-kmip-request", "v" + v + "-" + (i++) + ".bin", KmipCodec.encodeRequest(m));
            }
            int j = 0;
            for (ResponsePayload p : KmipGoldenTest.responses()) {
                Fuzz.writeSeed(
                        "hsm-kmip-response",
                        "v" + v + "-" + (j++) + ".bin",
                        KmipCodec.encodeResponse(KmipGoldenTest.response(v, p)));
            }
            if (v.atLeast(ProtocolVersion.V1_4)) {
                ResponseMessage encrypt = KmipGoldenTest.response(
                        v, new ResponsePayload.Encrypt("uid-1", new byte[32], null, new byte[16]));
                Fuzz.writeSeed("hsm-kmip-response", "v" + v + "-encrypt.bin", KmipCodec.encodeResponse(encrypt));
            }
        }
        // Create and Activate in one message through the ID placeholder, continuing on error.
        RequestMessage batch = new RequestMessage(
                ProtocolVersion.V1_4,
                new Credential(PARTITION, "fuzz-pin"),
                KmipConstants.BATCH_CONTINUE,
                List.of(
                        new RequestMessage.Item(
                                Operation.CREATE,
                                "1".getBytes(StandardCharsets.US_ASCII),
                                KmipGoldenTest.requests(ProtocolVersion.V1_4).getFirst()),
                        new RequestMessage.Item(
                                Operation.ACTIVATE,
                                "2".getBytes(StandardCharsets.US_ASCII),
                                new RequestPayload.Activate(null))));
        Fuzz.writeSeed("hsm-kmip-request", "batch-create-activate.bin", KmipCodec.encodeRequest(batch));
        Fuzz.writeSeed("hsm-ttlv", "batch-create-activate.bin", KmipCodec.encodeRequest(batch));
        ResponseMessage failure = new ResponseMessage(
                ProtocolVersion.V1_0,
                1L,
                List.of(ResponseMessage.Item.failure(-1, null, ResultReason.INVALID_MESSAGE, "Error parsing request")));
        Fuzz.writeSeed("hsm-kmip-response", "failure-without-operation.bin", KmipCodec.encodeResponse(failure));
        Fuzz.writeSeed("hsm-ttlv", "failure-without-operation.bin", KmipCodec.encodeResponse(failure));
    }
}
