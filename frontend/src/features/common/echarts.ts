// The parts of ECharts the SPA draws with, registered once. Only CommonChart imports this
// module, dynamically (loadCharts), so ECharts loads with the first page that shows a chart.
import { BarChart, LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { init, use } from "echarts/core";
import { SVGRenderer } from "echarts/renderers";

use([BarChart, LineChart, ScatterChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export { init };
