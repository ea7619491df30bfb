package io.strongroom.control.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * Whatever text a response echoes, it is well-formed XML 1.0: every UTF-16 unit (and every surrogate pair) goes
 * through a strict parser; markup and the characters XML can carry come back unchanged, the rest as U+FFFD.
 */
class XmlWriterTest {
    private static String roundTrip(String value) throws Exception {
        String xml = new XmlWriter().root("R").text("V", value).close("R").toString();
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        return d.getDocumentElement().getFirstChild().getTextContent();
    }

    @Test
    void everyCharacter_givesWellFormedXml_andTheOnesXmlCarriesComeBackUnchanged() throws Exception {
        StringBuilder all = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int c = 0; c <= 0xFFFF; c++) {
            // A '.' after each unit, so that no two of them form a surrogate pair.
            all.append((char) c).append('.');
            boolean allowed = c == '\t' || c == '\n' || (c >= 0x20 && c < 0xD800) || (c > 0xDFFF && c < 0xFFFE);
            // The parser normalises a lone CR to LF (XML 1.0 end-of-line handling); the writer leaves it as it is.
            expected.append(c == '\r' ? '\n' : allowed ? (char) c : '\uFFFD').append('.');
        }
        String back = roundTrip(all.toString());
        int mismatch = -1;
        for (int i = 0; i < Math.min(back.length(), expected.length()) && mismatch < 0; i++) {
            if (back.charAt(i) != expected.charAt(i)) {
                mismatch = i;
            }
        }
        assertThat(mismatch)
                .as("first differing unit, U+%04X", mismatch < 0 ? 0 : mismatch / 2)
                .isEqualTo(-1);
        assertThat(back.length()).isEqualTo(expected.length());
    }

    @Test
    void surrogatePairs_passWhole_loneHalvesBecomeReplacementCharacters() throws Exception {
        String emoji = new String(Character.toChars(0x1F512));
        assertThat(roundTrip("a" + emoji + "<&>'\"")).isEqualTo("a" + emoji + "<&>'\"");
        assertThat(roundTrip("x\uD83Dy\uDD12z")).isEqualTo("x\uFFFDy\uFFFDz");
    }
}
