/// Recursive-descent parser from formula text to a `FormulaNode` tree, resolving each reference
/// to an input slot through the caller's resolver as it goes. Precedence, lowest first (as in C):
/// `||`, `&&`, `|`, `^`, `&`, `== !=`, `< <= > >=`, `<< >>`, `+ -`, `* / %`, unary `- ! ~ +`.
struct FormulaParser {
    private var lexer: FormulaLexer
    private var token: FormulaToken
    private let resolve: (String) -> Int?
    /// Nesting depth: bounds the recursion on hostile input (`((((...`).
    private var depth = 0
    static let maxNesting = 64

    init(_ text: [UInt8], resolve: @escaping (String) -> Int?) throws(FormulaError) {
        lexer = FormulaLexer(text)
        self.resolve = resolve
        token = FormulaToken(kind: .end, start: 0, end: 0)
        token = try lexer.next()
    }

    mutating func parseFormula() throws(FormulaError) -> FormulaNode {
        if token.kind == .end { throw FormulaError(.empty, column: 1, "empty formula") }
        let node = try expression(level: 0)
        if token.kind != .end {
            throw FormulaError(.syntax, column: token.column, "unexpected \"" + text(token) + "\" after a complete expression")
        }
        return node
    }

    private func text(_ t: FormulaToken) -> String {
        t.kind == .end ? "end of formula" : String(decoding: lexer.text[t.start..<t.end], as: UTF8.self)
    }

    private mutating func advance() throws(FormulaError) { token = try lexer.next() }

    /// The binary operator of `kind` at precedence `level` (0 = loosest), if any.
    private static func binary(_ kind: FormulaToken.Kind, level: Int) -> FormulaOperation?? {
        switch (level, kind) {
        case (0, .or): return .some(nil)   // `||`: short-circuit, no operation
        case (1, .and): return .some(nil)  // `&&`
        case (2, .bitOr): return .bitOr
        case (3, .bitXor): return .bitXor
        case (4, .bitAnd): return .bitAnd
        case (5, .equal): return .equal
        case (5, .notEqual): return .notEqual
        case (6, .less): return .less
        case (6, .lessEqual): return .lessEqual
        case (6, .greater): return .greater
        case (6, .greaterEqual): return .greaterEqual
        case (7, .shiftLeft): return .shiftLeft
        case (7, .shiftRight): return .shiftRight
        case (8, .plus): return .add
        case (8, .minus): return .subtract
        case (9, .star): return .multiply
        case (9, .slash): return .divide
        case (9, .percent): return .remainder
        default: return nil
        }
    }

    private mutating func expression(level: Int) throws(FormulaError) -> FormulaNode {
        if level == 10 { return try unary() }
        var left = try expression(level: level + 1)
        while let op = FormulaParser.binary(token.kind, level: level) {
            let column = token.column
            let kind = token.kind
            try advance()
            let right = try expression(level: level + 1)
            if let op {
                left = .binary(op, left, right, column: column)
            } else {
                left = kind == .or ? .or(left, right, column: column) : .and(left, right, column: column)
            }
        }
        return left
    }

    private mutating func unary() throws(FormulaError) -> FormulaNode {
        let column = token.column
        let op: FormulaOperation?
        switch token.kind {
        case .minus: op = .negate
        case .not: op = .not
        case .bitNot: op = .bitNot
        case .plus: try advance(); return try nested { (p: inout FormulaParser) throws(FormulaError) in try p.unary() }
        default: return try primary()
        }
        try advance()
        let operand = try nested { (p: inout FormulaParser) throws(FormulaError) in try p.unary() }
        // A negative literal is a constant, not an instruction.
        if op == .negate, case .number(let v, _) = operand { return .number(-v, column: column) }
        return .unary(op!, operand, column: column)
    }

    private mutating func nested(_ body: (inout FormulaParser) throws(FormulaError) -> FormulaNode) throws(FormulaError) -> FormulaNode {
        depth += 1
        defer { depth -= 1 }
        if depth > FormulaParser.maxNesting {
            throw FormulaError(.tooDeep, column: token.column, "nested more than \(FormulaParser.maxNesting) levels deep")
        }
        return try body(&self)
    }

    private mutating func primary() throws(FormulaError) -> FormulaNode {
        let t = token
        switch t.kind {
        case .number(let v):
            try advance()
            return .number(v, column: t.column)
        case .leftParen:
            try advance()
            let inner = try nested { (p: inout FormulaParser) throws(FormulaError) in try p.expression(level: 0) }
            try expect(.rightParen, "\")\" to close the \"(\" at column \(t.column)")
            return inner
        case .name:
            try advance()
            let bytes = lexer.text[t.start..<t.end]
            if token.kind == .leftParen {
                guard let function = FormulaFunction.named(bytes) else {
                    throw FormulaError(.unknownFunction, column: t.column, "unknown function \"" + text(t) + "\"")
                }
                return try call(function, at: t)
            }
            let name = text(t)
            guard let slot = resolve(name) else {
                throw FormulaError(.unknownReference, column: t.column, "unknown reference \"" + name + "\"")
            }
            return .reference(slot: slot, column: t.column)
        default:
            throw FormulaError(.syntax, column: t.column, "expected a number, a point or \"(\", found \"" + text(t) + "\"")
        }
    }

    private mutating func call(_ function: FormulaFunction, at name: FormulaToken) throws(FormulaError) -> FormulaNode {
        try advance()  // (
        var arguments: [FormulaNode] = []
        if token.kind != .rightParen {
            while true {
                arguments.append(try nested { (p: inout FormulaParser) throws(FormulaError) in try p.expression(level: 0) })
                if token.kind == .comma { try advance(); continue }
                break
            }
        }
        try expect(.rightParen, "\",\" or \")\" in the arguments of " + function.name)
        let (low, high) = function.arity
        if arguments.count < low || arguments.count > high {
            let wanted = low == high ? "\(low)" : "\(low) to \(high)"
            throw FormulaError(.wrongArity, column: name.column,
                               function.name + " takes " + wanted + " argument" + (wanted == "1" ? "" : "s")
                               + ", found \(arguments.count)")
        }
        return .call(function, arguments, column: name.column)
    }

    private mutating func expect(_ kind: FormulaToken.Kind, _ what: String) throws(FormulaError) {
        guard token.kind == kind else {
            throw FormulaError(.syntax, column: token.column, "expected " + what + ", found \"" + text(token) + "\"")
        }
        try advance()
    }
}
