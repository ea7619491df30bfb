package io.strongroom.sql.plan;

import org.apache.calcite.avatica.util.TimeUnit;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlCallBinding;
import org.apache.calcite.sql.SqlIntervalQualifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql.validate.SqlValidator;
import org.apache.calcite.sql.validate.implicit.TypeCoercionImpl;

/**
 * Calcite's implicit coercions plus PostgreSQL's {@code date + integer}, {@code integer + date} and {@code date -
 * integer} (days, giving a date; {@code CURRENT_DATE - 7}), which Calcite's arithmetic refuses: the integer
 * operand becomes {@code n * INTERVAL '1' DAY} before the operands are checked. Not thread-safe (one per
 * validator, as Calcite makes them).
 */
final class PgTypeCoercion extends TypeCoercionImpl {
    PgTypeCoercion(RelDataTypeFactory typeFactory, SqlValidator validator) {
        super(typeFactory, validator);
    }

    @Override
    public boolean binaryArithmeticCoercion(SqlCallBinding binding) {
        SqlKind kind = binding.getOperator().getKind();
        if ((kind == SqlKind.PLUS || kind == SqlKind.MINUS) && binding.getOperandCount() == 2) {
            RelDataType left = binding.getOperandType(0);
            RelDataType right = binding.getOperandType(1);
            if (isDate(left) && isInteger(right)) {
                return days(binding, 1);
            }
            if (kind == SqlKind.PLUS && isInteger(left) && isDate(right)) {
                return days(binding, 0);
            }
        }
        return super.binaryArithmeticCoercion(binding);
    }

    private static boolean isDate(RelDataType t) {
        return t.getSqlTypeName() == SqlTypeName.DATE;
    }

    private static boolean isInteger(RelDataType t) {
        return SqlTypeFamily.INTEGER.contains(t);
    }

    /** Operand {@code i} (an integer) multiplied by one day. */
    private boolean days(SqlCallBinding binding, int i) {
        SqlCall call = binding.getCall();
        SqlNode n = call.operand(i);
        SqlParserPos pos = n.getParserPosition();
        SqlNode interval = SqlStdOperatorTable.MULTIPLY.createCall(
                pos, n, SqlLiteral.createInterval(1, "1", new SqlIntervalQualifier(TimeUnit.DAY, null, pos), pos));
        call.setOperand(i, interval);
        validator.deriveType(binding.getScope(), interval);
        return true;
    }
}
