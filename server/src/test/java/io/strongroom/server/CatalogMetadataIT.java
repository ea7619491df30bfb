package io.strongroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

/**
 * The catalog as the real drivers read it, over TLS verified against the installation's CA ({@code
 * sslmode=verify-full}): the PostgreSQL JDBC driver's and Amazon's Redshift JDBC driver's {@code
 * DatabaseMetaData.getTables}, {@code getColumns}, {@code getPrimaryKeys} and {@code getSchemas} list exactly the
 * tables, columns, primary keys and schemas that exist, and nothing for a name that does not; pgjdbc's {@code
 * CopyManager} loads binary COPY data.
 */
class CatalogMetadataIT {
    @RegisterExtension
    final ServerStack stack = ServerStack.builder("catalog").cluster("cat1").build();

    private Connection postgres() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "admin");
        p.setProperty("password", "Passw0rdX");
        p.setProperty("ssl", "true");
        p.setProperty("sslmode", "verify-full");
        p.setProperty("sslrootcert", stack.ca().toString());
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + stack.port() + "/dev", p);
    }

    private Connection amazon() throws Exception {
        Driver d = (Driver) Class.forName("com.amazon.redshift.jdbc.Driver")
                .getDeclaredConstructor()
                .newInstance();
        Properties p = new Properties();
        p.setProperty("user", "admin");
        p.setProperty("password", "Passw0rdX");
        p.setProperty("ssl", "true");
        p.setProperty("sslmode", "verify-full");
        p.setProperty("sslrootcert", stack.ca().toString());
        return d.connect("jdbc:redshift://127.0.0.1:" + stack.port() + "/dev", p);
    }

    private static List<String> column(ResultSet rs, String... names) throws SQLException {
        List<String> out = new ArrayList<>();
        try (rs) {
            while (rs.next()) {
                StringBuilder sb = new StringBuilder();
                for (String n : names) {
                    sb.append(sb.isEmpty() ? "" : "|").append(rs.getString(n));
                }
                out.add(sb.toString());
            }
        }
        return out;
    }

    private static void assertMetadata(Connection c, String driver) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        assertThat(column(md.getTables(null, "public", "%", new String[] {"TABLE"}), "TABLE_SCHEM", "TABLE_NAME"))
                .as(driver + " getTables")
                .containsExactly("public|child", "public|parent");
        assertThat(column(md.getTables(null, "public", "nope", new String[] {"TABLE"}), "TABLE_NAME"))
                .as(driver + " getTables of a missing table")
                .isEmpty();
        assertThat(column(md.getColumns(null, "public", "child", "%"), "COLUMN_NAME", "TYPE_NAME", "ORDINAL_POSITION"))
                .as(driver + " getColumns")
                .containsExactly("id|int4|1", "line|int4|2", "pid|int8|3", "note|varchar|4");
        assertThat(column(md.getColumns(null, "public", "nope", "%"), "COLUMN_NAME"))
                .as(driver + " getColumns of a missing table")
                .isEmpty();
        assertThat(column(md.getPrimaryKeys(null, "public", "child"), "COLUMN_NAME", "KEY_SEQ", "PK_NAME"))
                .as(driver + " getPrimaryKeys")
                .containsExactly("id|1|child_pkey", "line|2|child_pkey");
        assertThat(column(md.getPrimaryKeys(null, "public", "parent"), "COLUMN_NAME", "PK_NAME"))
                .containsExactly("id|parent_pkey");
        assertThat(column(md.getPrimaryKeys(null, "sales", "nokey"), "COLUMN_NAME"))
                .as(driver + " getPrimaryKeys of a table without one")
                .isEmpty();
        assertThat(column(md.getSchemas(), "TABLE_SCHEM"))
                .as(driver + " getSchemas")
                .contains("public", "sales", "pg_catalog", "information_schema")
                .doesNotHaveDuplicates();
    }

    @Test
    void postgresAndRedshiftDrivers_listExactlyTheTablesColumnsKeysAndSchemas_overVerifiedTls() throws Exception {
        try (Connection c = postgres();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE parent (id BIGINT PRIMARY KEY, code VARCHAR(5) UNIQUE)");
            st.execute("CREATE TABLE child (id INT, line INT, pid BIGINT REFERENCES parent, note VARCHAR(10),"
                    + " PRIMARY KEY (id, line))");
            st.execute("CREATE TABLE sales.nokey (x INT)");
        }
        try (Connection c = postgres()) {
            assertMetadata(c, "pgjdbc");
        }
        try (Connection c = amazon()) {
            assertMetadata(c, "redshift-jdbc");
        }
    }

    @Test
    void pgjdbcCopyManager_loadsBinaryCopyData() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0});
        out.writeInt(0);
        out.writeInt(0);
        for (int i = 1; i <= 1000; i++) {
            out.writeShort(2);
            out.writeInt(8);
            out.writeLong(i);
            byte[] name = ("n" + i).getBytes(StandardCharsets.UTF_8);
            out.writeInt(name.length);
            out.write(name);
        }
        out.writeShort(-1);
        try (Connection c = postgres()) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE b (id BIGINT, name VARCHAR(10))");
            }
            long n = new CopyManager(c.unwrap(BaseConnection.class))
                    .copyIn("COPY b FROM STDIN (FORMAT binary)", new ByteArrayInputStream(bytes.toByteArray()));
            assertThat(n).isEqualTo(1000);
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*), sum(id), max(name) FROM b")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(1000);
                assertThat(rs.getLong(2)).isEqualTo(500500);
                assertThat(rs.getString(3)).isEqualTo("n999");
            }
        }
    }
}
