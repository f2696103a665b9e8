// The SLA dashboard's charts (ECharts), drawn from the same figures the tables beside them show.
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var font = { fontFamily: getComputedStyle(document.documentElement).fontFamily };
  var colors = { ok: "#1d7a46", bad: "#b42318", brand: "#0b5cad" };

  function draw(name, hasData, option) {
    var node = document.querySelector("[data-chart=" + name + "]");
    node.dataset.ready = "true";
    if (!hasData) {
      node.classList.add("empty-chart");
      node.textContent = "暂无数据";
      return;
    }
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption(Object.assign({ textStyle: font, animation: false, tooltip: {} }, option));
  }

  function timeliness(rows) {
    return {
      legend: { data: ["按时", "超期"] },
      grid: { left: 8, right: 24, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { width: 160, overflow: "truncate" } },
      series: [
        { name: "按时", type: "bar", stack: "n", barMaxWidth: 24, color: colors.ok, data: rows.map(function (r) { return r.on_time; }) },
        { name: "超期", type: "bar", stack: "n", barMaxWidth: 24, color: colors.bad, data: rows.map(function (r) { return r.late; }),
          label: { show: true, position: "right", formatter: function (p) {
            var rate = rows[p.dataIndex].rate;
            return rate === null ? "" : "按时率 " + (rate * 100).toFixed(1) + "%";
          } } },
      ],
    };
  }

  function bars(labels, values, color) {
    return {
      grid: { left: 8, right: 24, bottom: 8, top: 16, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: labels, axisLabel: { width: 160, overflow: "truncate" } },
      series: [{ type: "bar", barMaxWidth: 24, color: color, data: values, label: { show: true, position: "right" } }],
    };
  }

  function concluded(rows) { return rows.some(function (r) { return r.on_time + r.late > 0; }); }
  var ratingCounts = Object.values(data.ratings);

  draw("units", concluded(data.units), timeliness(data.units));
  draw("items", concluded(data.items), timeliness(data.items));
  draw("overdue", Object.keys(data.overdue).length > 0, bars(Object.keys(data.overdue), Object.values(data.overdue), colors.bad));
  draw("stages", concluded(data.stages), timeliness(data.stages));
  draw("ratings", ratingCounts.some(function (n) { return n > 0; }), {
    series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}：{c}" },
      color: ["#1d7a46", "#5aa469", "#b3b3b3", "#e07b39", "#b42318"],
      data: Object.keys(data.ratings).map(function (k) { return { name: k, value: data.ratings[k] }; }) }],
  });
})();
