/// Merges points into as few reads as the device allows: points of one table whose addresses
/// are contiguous, overlap, or lie at most the template's gap apart share a read, unless the
/// merged read would exceed the device's limit or the gap holds an address the device must never
/// be asked for. Pure; allocates only the plan (at start-up).
public enum RequestPlanner {
    /// Plans the template's points `selection` (indices into `template.points`).
    public static func plan(_ template: DeviceTemplate, selection: [Int]) throws(PlanError) -> ReadPlan {
        let points = template.points
        var order = selection
        order.sort { a, b in
            let pa = points[a], pb = points[b]
            if pa.table != pb.table { return pa.table.rawValue < pb.table.rawValue }
            if pa.address != pb.address { return pa.address < pb.address }
            return a < b
        }
        var plan = ReadPlan()
        plan.points.reserveCapacity(order.count)
        var current: ReadRequest? = nil
        var currentLast: UInt32 = 0
        for index in order {
            let point = points[index]
            let first = UInt32(point.address)
            let last = first + UInt32(point.width) - 1
            let maximum = UInt32(template.limits.maxPerRead(point.table))
            guard last <= 0xFFFF else { throw .addressOverflow(point: index) }
            guard UInt32(point.width) <= maximum else { throw .pointExceedsLimit(point: index) }
            for range in template.forbidden where range.overlaps(table: point.table, lower: first, upper: last) {
                throw .pointInForbiddenRange(point: index)
            }
            if var request = current, canMerge(request, last: currentLast, first: first, pointLast: last,
                                                table: point.table, template: template) {
                currentLast = max(currentLast, last)
                request.count = UInt16(currentLast - UInt32(request.address) + 1)
                request.pointCount += 1
                current = request
            } else {
                if let done = current { plan.requests.append(done) }
                current = ReadRequest(table: point.table, address: point.address, count: point.width,
                                      firstPoint: plan.points.count, pointCount: 1)
                currentLast = last
            }
            let start = current?.address ?? point.address
            plan.points.append(PlannedPoint(point: index, offset: point.address - start))
        }
        if let done = current { plan.requests.append(done) }
        return plan
    }

    static func canMerge(_ request: ReadRequest, last: UInt32, first: UInt32, pointLast: UInt32,
                         table: RegisterTable, template: DeviceTemplate) -> Bool {
        guard request.table == table else { return false }
        let gap = UInt32(template.limits.gap(table))
        guard first <= last + 1 + gap else { return false }
        let mergedLast = max(last, pointLast)
        guard mergedLast - UInt32(request.address) + 1 <= UInt32(template.limits.maxPerRead(table)) else { return false }
        if first > last + 1 {
            for range in template.forbidden where range.overlaps(table: table, lower: last + 1, upper: first - 1) {
                return false
            }
        }
        return true
    }
}
