import FieldBus
import Testing

/// Merging points into reads: contiguity, gap filling, forbidden registers and per-read limits.
@Suite struct RequestPlannerTests {
    static func reg(_ address: UInt16, _ type: PointDataType = .uint16, table: RegisterTable = .holdingRegister) -> PointDefinition {
        PointDefinition(identifier: "r\(address)", table: table, address: address, dataType: type)
    }

    static func plan(_ points: [PointDefinition], limits: DeviceLimits = DeviceLimits(),
                     forbidden: [AddressRange] = []) throws -> ReadPlan {
        let t = DeviceTemplate(name: "t", points: points, forbidden: forbidden, limits: limits)
        return try RequestPlanner.plan(t, selection: Array(points.indices))
    }

    static func spans(_ plan: ReadPlan) -> [String] {
        plan.requests.map { "\($0.table.name) \($0.address)+\($0.count)" }
    }

    @Test func contiguousPointsShareOneRead() throws {
        let p = try Self.plan([Self.reg(100), Self.reg(101, .uint32), Self.reg(103, .float64)])
        #expect(Self.spans(p) == ["holding 100+7"])
        #expect(p.points.map(\.offset) == [0, 1, 3])
    }

    @Test func pointsAreSortedByAddressWhateverTheTemplateOrder() throws {
        let p = try Self.plan([Self.reg(110), Self.reg(100), Self.reg(105)], limits: DeviceLimits(registerGap: 10))
        #expect(Self.spans(p) == ["holding 100+11"])
        #expect(p.points == [PlannedPoint(point: 1, offset: 0), PlannedPoint(point: 2, offset: 5), PlannedPoint(point: 0, offset: 10)])
    }

    @Test func gapsAreFilledUpToTheConfiguredCountOnly() throws {
        let points = [Self.reg(100), Self.reg(104), Self.reg(110)]
        #expect(Self.spans(try Self.plan(points)) == ["holding 100+1", "holding 104+1", "holding 110+1"])
        #expect(Self.spans(try Self.plan(points, limits: DeviceLimits(registerGap: 3))) == ["holding 100+5", "holding 110+1"])
        #expect(Self.spans(try Self.plan(points, limits: DeviceLimits(registerGap: 5))) == ["holding 100+11"])
    }

    @Test func neverReadsAcrossForbiddenRegisters() throws {
        let points = [Self.reg(100), Self.reg(104)]
        let forbidden = [AddressRange(table: .holdingRegister, first: 102, last: 102)]
        let p = try Self.plan(points, limits: DeviceLimits(registerGap: 10), forbidden: forbidden)
        #expect(Self.spans(p) == ["holding 100+1", "holding 104+1"])
        // A forbidden range in another table does not split.
        let other = [AddressRange(table: .inputRegister, first: 102, last: 102)]
        #expect(Self.spans(try Self.plan(points, limits: DeviceLimits(registerGap: 10), forbidden: other)) == ["holding 100+5"])
    }

    @Test func aPointOnAForbiddenRegisterIsRejected() {
        let forbidden = [AddressRange(table: .holdingRegister, first: 101, last: 101)]
        #expect(throws: PlanError.pointInForbiddenRange(point: 0)) {
            try Self.plan([Self.reg(100, .uint32)], forbidden: forbidden)
        }
    }

    @Test func readsNeverExceedTheDeviceLimit() throws {
        let points = (0..<130).map { Self.reg(UInt16($0)) }
        #expect(Self.spans(try Self.plan(points)) == ["holding 0+125", "holding 125+5"])
        #expect(Self.spans(try Self.plan(points, limits: DeviceLimits(maxRegistersPerRead: 50))) ==
                ["holding 0+50", "holding 50+50", "holding 100+30"])
        // A 32-bit value is never split between two reads.
        let pairs = (0..<5).map { Self.reg(UInt16($0 * 2), .uint32) }
        #expect(Self.spans(try Self.plan(pairs, limits: DeviceLimits(maxRegistersPerRead: 5))) == ["holding 0+4", "holding 4+4", "holding 8+2"])
    }

    @Test func bitTablesUseTheBitLimitAndTablesNeverMix() throws {
        let coils = (0..<2100).map { Self.reg(UInt16($0), .bool, table: .coil) }
        let p = try Self.plan(coils + [Self.reg(0), Self.reg(1, .bool, table: .discreteInput)])
        #expect(Self.spans(p) == ["coil 0+2000", "coil 2000+100", "discrete 1+1", "holding 0+1"])
    }

    @Test func overlappingPointsShareRegisters() throws {
        let p = try Self.plan([Self.reg(10, .uint32), Self.reg(11, .bitOfRegister(index: 3)), Self.reg(10)])
        #expect(Self.spans(p) == ["holding 10+2"])
        #expect(p.points.map(\.offset) == [0, 0, 1])
    }

    @Test func oversizedAndOverflowingPointsAreRejected() {
        #expect(throws: PlanError.pointExceedsLimit(point: 0)) {
            try Self.plan([Self.reg(0, .string(length: 40))], limits: DeviceLimits(maxRegistersPerRead: 10))
        }
        #expect(throws: PlanError.addressOverflow(point: 0)) { try Self.plan([Self.reg(65535, .uint32)]) }
    }
}
