-- The Lua 5.4 side of FormulaBench: the same formulas (formulas.tsv, third column), each compiled
-- once into a function of a table of inputs, evaluated N times with W (or the formula's first
-- input) changing every time, as the Swift side does. Prints "name<TAB>evaluations/s<TAB>checksum".
local file, n = arg[1], tonumber(arg[2] or "1000000")
local inputs = { W = 1234, W_SF = -1, i1 = 1500, i2 = 1600, i3 = 1700, A = 5, status = 0xB5,
                 P = 3000, Q = 400, T1 = 85, T2 = 82, T3 = 90, fan = 0 }
for line in io.lines(file) do
  if line:sub(1, 1) ~= "#" then
    local name, _, lua = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
    local f = assert(load("return function(v) return " .. lua .. " end"))()
    local v = {}
    for k, x in pairs(inputs) do v[k] = x end
    local sum = 0
    local t0 = os.clock()
    for i = 1, n do
      v.W = i % 1000; v.i1 = i % 1000; v.A = i % 7; v.status = i % 256; v.P = i % 1000; v.T1 = i % 100
      sum = sum + f(v)
    end
    local dt = os.clock() - t0
    print(string.format("%s\t%.0f\t%.6g", name, n / dt, sum))
  end
end
